#include "cmd_hash.hpp"

#include <clauster/core/crypto.hpp>

#include <iostream>
#include <string>

#include <termios.h>
#include <unistd.h>

namespace clauster::cli {
namespace {

/// Reads one line from stdin; with a terminal, echo is off while typing and the
/// prompt goes to stderr so stdout carries only the hash.
std::optional<std::string> read_secret_line(const char* prompt, bool tty) {
    termios saved{};
    if (tty) {
        std::cerr << prompt << std::flush;
        if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << std::endl;
    }
    if (!got) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void run_hash_password() {
    const bool tty = ::isatty(STDIN_FILENO) == 1;
    const auto password = read_secret_line("Password: ", tty);
    if (!password || password->empty()) {
        say("empty password");
        throw command_exit{exit_bad_input};
    }
    // Piped input may carry one line (the password) or two (password, confirmation).
    const auto confirm = read_secret_line("Confirm:  ", tty);
    if ((tty || confirm) && confirm != password) {
        say("passwords do not match");
        throw command_exit{exit_bad_input};
    }
    auto hashed = core::crypto::hash_password(*password);
    if (!hashed) {
        say(hashed.error().message);
        throw command_exit{exit_failed};
    }
    std::cout << *hashed << std::endl;
}

void run_hash_token() {
    // Unprefixed like the reference's legacy token, so it is never mistaken for a named one.
    const std::string raw = core::crypto::random_urlsafe(32);
    std::cerr << "Token (shown once \u2014 copy it into your client now):" << std::endl;
    std::cout << raw << std::endl;
    std::cerr << "\nAdd this to clauster.yml under auth (or set CLAUSTER_AUTH_API_TOKEN_HASH):\n"
              << "  api_token_hash: " << core::crypto::sha256_hex(raw) << std::endl;
}

}  // namespace

void setup_hash(CLI::App& app, std::shared_ptr<global_options> /*global*/) {
    app.add_subcommand("hash-token", "Mint a legacy API token and print the hash for auth.api_token_hash")
        ->callback(run_hash_token);
    app.add_subcommand("hash-password",
                       "Hash a dashboard password with argon2id for auth.password_hash (reads stdin when not a TTY)")
        ->callback(run_hash_password);
}

}  // namespace clauster::cli
