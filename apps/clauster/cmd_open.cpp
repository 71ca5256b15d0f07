#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/environment.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace clauster::cli {
namespace {

struct open_options {
    std::string ref;
    bool launch = false;
};

/// The first executable `name` on PATH (no shell, no PATH search at exec time).
std::optional<std::filesystem::path> find_on_path(std::string_view name) {
    const auto path = core::get_env(core::current_environment(), "PATH");
    if (!path) return std::nullopt;
    std::string_view rest = *path;
    for (;;) {
        const auto colon = rest.find(':');
        const std::string_view dir = rest.substr(0, colon);
        // Relative PATH entries are skipped: they would depend on our cwd.
        if (!dir.empty() && dir.front() == '/') {
            auto candidate = std::filesystem::path(dir) / name;
            std::error_code ec;
            if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0)
                return candidate;
        }
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

/// Opens @p url with xdg-open (argv, never a shell), its stdout kept off ours.
void launch_browser(const std::string& url) {
    const auto opener = find_on_path("xdg-open");
    if (!opener) {
        say("cannot open a browser: xdg-open is not on PATH; open the URL above yourself");
        throw command_exit{exit_failed};
    }
    std::string prog = opener->string();
    std::string arg = url;
    std::vector<char*> argv{prog.data(), arg.data(), nullptr};

    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, prog.c_str(), &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        say("cannot run " + prog + ": " + std::strerror(rc));
        throw command_exit{exit_failed};
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        say("xdg-open could not open the URL (exit " +
            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
        throw command_exit{exit_failed};
    }
}

void run_open(const global_options& global, const open_options& o) {
    std::string url;
    {
        auto eng = engine::open_or_exit(global);
        // The session and environment ids are runtime fields, re-derived from the
        // bridge's debug log (or keeper sidecar) by the read-only reattach.
        eng->run(eng->instances().recover(/*read_only=*/true));
        const auto inst = resolve_or_exit(*eng, o.ref);
        if (auto session = inst.session_url())
            url = *session;
        else if (inst.url && !inst.url->empty())
            url = *inst.url;
    }
    if (url.empty()) {
        say("no session URL available yet");
        throw command_exit{exit_bad_input};
    }
    std::cout << url << std::endl;
    if (o.launch) launch_browser(url);
}

}  // namespace

void setup_open(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<open_options>();
    auto* cmd = app.add_subcommand("open", "Print a bridge's connect URL (session URL, else environment URL)");
    cmd->add_option("instance", o->ref, "Instance id, unique id prefix, or project name")->required();
    cmd->add_flag("--launch", o->launch, "Also open it in a browser (xdg-open)");
    cmd->callback([global, o] { run_open(*global, *o); });
}

}  // namespace clauster::cli
