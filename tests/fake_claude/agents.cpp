// `claude agents [--json] [--all]`: the live sessions the fake knows about.
//
// Sources: the fake's own session records (the SDK worker child of each
// subcommand bridge and each flag-form TUI, both kind "interactive") and the
// supervisor roster joined with each job's state.json (kind "background").
// Liveness is pid + start ticks. `$FAKE_CLAUDE_AGENTS`, or the file named by
// `$FAKE_CLAUDE_AGENTS_FILE`, is printed verbatim instead;
// `$FAKE_CLAUDE_AGENTS_SLEEP` delays every answer.

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

namespace clauster::fake_claude {

namespace json = boost::json;

namespace {

std::string string_field(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::int64_t int_field(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_int64() ? value->as_int64() : 0;
}

json::object listed(std::int64_t pid, std::string cwd, std::string_view kind, std::string state,
                    std::string session_id, std::int64_t started_at) {
    json::object item;
    item["pid"] = pid;
    item["cwd"] = std::move(cwd);
    item["kind"] = kind;
    item["state"] = std::move(state);
    item["sessionId"] = std::move(session_id);
    item["startedAt"] = started_at;
    return item;
}

/// Live SDK-worker and flag-form sessions from their records.
void add_sessions(json::array& out) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(sessions_dir(), ec)) {
        if (entry.path().extension() != ".json") continue;
        auto record = read_json_object(entry.path());
        if (!record) continue;
        const auto pid = int_field(*record, "pid");
        if (!is_alive(static_cast<pid_t>(pid), string_field(*record, "procStart"))) continue;
        auto item = listed(pid, string_field(*record, "cwd"), string_field(*record, "kind"),
                           string_field(*record, "state"), string_field(*record, "sessionId"),
                           int_field(*record, "startedAt"));
        item["name"] = string_field(*record, "name");
        out.push_back(std::move(item));
    }
}

/// Background workers: live roster entries (with --all, also jobs whose worker is gone).
void add_background(json::array& out, bool all) {
    std::set<std::string> seen;
    const json::object workers = read_roster_workers();
    for (const auto& [key, value] : workers) {
        if (!value.is_object()) continue;
        const auto& worker = value.as_object();
        const auto pid = int_field(worker, "pid");
        if (!is_alive(static_cast<pid_t>(pid), string_field(worker, "procStart"))) continue;
        const std::string id(key);
        const auto state = read_json_object(jobs_dir() / id / "state.json").value_or(json::object{});
        auto item = listed(pid, string_field(state, "cwd"), "background", string_field(state, "state"),
                           string_field(state, "sessionId"), int_field(worker, "startedAt"));
        item["id"] = id;
        item["name"] = string_field(state, "name");
        out.push_back(std::move(item));
        seen.insert(id);
    }
    if (!all) return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(jobs_dir(), ec)) {
        const std::string id = entry.path().filename().string();
        if (seen.count(id) != 0) continue;
        auto state = read_json_object(entry.path() / "state.json");
        if (!state) continue;
        auto item = listed(0, string_field(*state, "cwd"), "background", string_field(*state, "state"),
                           string_field(*state, "sessionId"), int_field(*state, "createdAt"));
        item["pid"] = nullptr;
        item["id"] = id;
        item["name"] = string_field(*state, "name");
        out.push_back(std::move(item));
    }
}

}  // namespace

int run_agents(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    // A slow answer, whatever the form (for the caller's timeout).
    if (const auto delay = env_seconds("FAKE_CLAUDE_AGENTS_SLEEP", 0.0); delay.count() > 0)
        std::this_thread::sleep_for(delay);

    const int injected_exit = std::atoi(env_string("FAKE_CLAUDE_AGENTS_EXIT", "0").c_str());
    if (auto injected = env_value("FAKE_CLAUDE_AGENTS")) {
        std::fputs(injected->c_str(), stdout);
        return injected_exit;
    }
    // The file form carries outputs too large for an environment variable, byte for byte.
    if (auto file = env_value("FAKE_CLAUDE_AGENTS_FILE"); file && !file->empty()) {
        const auto bytes = read_text(*file);
        if (!bytes) {
            std::fprintf(stderr, "fake-claude: cannot read FAKE_CLAUDE_AGENTS_FILE '%s'\n", file->c_str());
            return 1;
        }
        std::fwrite(bytes->data(), 1, bytes->size(), stdout);
        return injected_exit;
    }
    json::array items;
    add_sessions(items);
    add_background(items, has_flag(args, "--all"));

    if (!has_flag(args, "--json")) {
        std::printf("%-8s %-12s %-10s %s\n", "PID", "KIND", "STATE", "CWD");
        for (const auto& value : items) {
            const auto& item = value.as_object();
            std::printf("%-8lld %-12s %-10s %s\n", static_cast<long long>(int_field(item, "pid")),
                        string_field(item, "kind").c_str(), string_field(item, "state").c_str(),
                        string_field(item, "cwd").c_str());
        }
        return 0;
    }
    const std::string shape = env_string("FAKE_CLAUDE_AGENTS_SHAPE", "list");
    json::value out = items;
    if (shape == "agents" || shape == "sessions") {
        json::object wrapper;
        wrapper[shape] = std::move(items);
        out = std::move(wrapper);
    }
    std::printf("%s\n", json::serialize(out).c_str());
    return 0;
}

}  // namespace clauster::fake_claude
