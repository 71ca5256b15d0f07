#include "cmd_api_token.hpp"

#include <clauster/core/error.hpp>
#include <clauster/core/time_format.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>

namespace clauster::cli {
namespace {

struct label_options {
    std::string positional;
    std::string flag;
};

/// The label from `<label>` or `--label L`; both must agree when both are given.
std::string pick_label(const label_options& o) {
    if (!o.positional.empty() && !o.flag.empty() && o.positional != o.flag) {
        say("give the label once: either <label> or --label");
        throw command_exit{exit_bad_input};
    }
    std::string label = o.positional.empty() ? o.flag : o.positional;
    if (label.empty()) {
        say("a label is required: <label> or --label L");
        throw command_exit{exit_bad_input};
    }
    return label;
}

/// Domain failures that are the caller's fault exit 2; storage failures exit 1.
[[noreturn]] void fail(const core::failure& f) {
    say(f.message);
    const bool bad_input = f.code == core::errc::invalid_argument || f.code == core::errc::already_exists ||
                           f.code == core::errc::not_found;
    throw command_exit{bad_input ? exit_bad_input : exit_failed};
}

void print_secret(const std::string& raw) {
    std::cerr << "Token (shown once \u2014 copy it into your client now):" << std::endl;
    std::cout << raw << std::endl;
    std::cerr << std::endl;
}

void run_issue(const global_options& global, const label_options& o) {
    const std::string label = pick_label(o);
    const auto cfg = load_config_or_exit(global);
    auto backend = token_backend::open_or_exit(cfg);
    auto issued = backend->service().issue(label);
    if (!issued) fail(issued.error());
    print_secret(issued->raw);
    say("issued '" + label + "' (created " + core::format_iso_seconds(issued->record.created_at) + ")");
}

void run_rotate(const global_options& global, const label_options& o) {
    const std::string label = pick_label(o);
    const auto cfg = load_config_or_exit(global);
    auto backend = token_backend::open_or_exit(cfg);
    auto rotated = backend->service().rotate(label);
    if (!rotated) fail(rotated.error());
    print_secret(rotated->raw);
    say("rotated '" + label + "' \u2014 the previous secret no longer works");
}

void run_revoke(const global_options& global, const label_options& o) {
    const std::string label = pick_label(o);
    const auto cfg = load_config_or_exit(global);
    auto backend = token_backend::open_or_exit(cfg);
    if (auto revoked = backend->service().revoke(label); !revoked) fail(revoked.error());
    say("revoked '" + label + "'");
}

void run_list(const global_options& global) {
    const auto cfg = load_config_or_exit(global);
    auto backend = token_backend::open_or_exit(cfg);
    auto tokens = backend->service().list();
    if (!tokens) {
        say(tokens.error().message);
        throw command_exit{exit_failed};  // never reported as "no tokens"
    }
    if (tokens->empty()) {
        say("no named tokens");
    } else {
        std::cout << std::left << std::setw(24) << "LABEL" << ' ' << std::setw(21) << "CREATED" << ' ' << "LAST USED"
                  << '\n';
        for (const auto& t : *tokens) {
            std::cout << std::left << std::setw(24) << t.label << ' ' << std::setw(21)
                      << core::format_iso_seconds(t.created_at) << ' '
                      << (t.last_used_at ? core::format_iso_seconds(*t.last_used_at) : std::string("never")) << '\n';
        }
        std::cout.flush();
    }
    if (backend->service().has_legacy_hash())
        say("note: auth.api_token_hash is also set; that legacy token authenticates too and is not listed here");
}

void add_label_arguments(CLI::App& sub, const std::shared_ptr<label_options>& o) {
    sub.add_option("label", o->positional, "Token label: 1-64 characters of A-Z a-z 0-9 _ . -");
    sub.add_option("--label", o->flag, "Token label (alternative to the positional form)");
}

}  // namespace

void setup_api_token(CLI::App& app, std::shared_ptr<global_options> global) {
    auto* noun = app.add_subcommand("api-token", "Manage named API tokens (Bearer credentials)");
    noun->require_subcommand(1);

    auto issue = std::make_shared<label_options>();
    auto* issue_cmd = noun->add_subcommand("issue", "Mint a new token; the raw secret is printed once on stdout");
    add_label_arguments(*issue_cmd, issue);
    issue_cmd->callback([global, issue] { run_issue(*global, *issue); });

    noun->add_subcommand("list", "List named tokens (never their secrets)")->callback([global] { run_list(*global); });

    auto rotate = std::make_shared<label_options>();
    auto* rotate_cmd = noun->add_subcommand("rotate", "Replace a token's secret; the old one stops working at once");
    add_label_arguments(*rotate_cmd, rotate);
    rotate_cmd->callback([global, rotate] { run_rotate(*global, *rotate); });

    auto revoke = std::make_shared<label_options>();
    auto* revoke_cmd = noun->add_subcommand("revoke", "Delete a token; it stops working at once");
    add_label_arguments(*revoke_cmd, revoke);
    revoke_cmd->callback([global, revoke] { run_revoke(*global, *revoke); });
}

}  // namespace clauster::cli
