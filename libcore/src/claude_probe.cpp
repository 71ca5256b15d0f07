#include <clauster/core/claude_probe.hpp>

#include "child_run.hpp"

#include <regex>

#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

environment claude_child_environment(const environment& parent, const config& cfg) {
    environment child = scrub_secrets(parent);
    for (const auto& [k, v] : cfg.claude.env)
        if (!is_secret_env_name(k)) child[k] = v;
    if (!cfg.claude.path_append.empty()) {
        const auto it = child.find("PATH");
        std::string path = it != child.end() ? it->second : std::string("/usr/local/bin:/usr/bin:/bin");
        for (const auto& extra : cfg.claude.path_append) path += ":" + extra;
        child["PATH"] = path;
    }
    return child;
}

std::optional<fs::path> resolve_executable(std::string_view binary, const environment& env) {
    if (binary.empty()) return std::nullopt;
    if (binary.find('/') != std::string_view::npos) {
        fs::path p{std::string(binary)};
        std::error_code ec;
        p = fs::absolute(p, ec);
        if (ec || !is_executable_file(p)) return std::nullopt;
        return p.lexically_normal();
    }
    const std::string path_var = get_env(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
    std::size_t start = 0;
    while (start <= path_var.size()) {
        const auto end = path_var.find(':', start);
        const std::string dir = path_var.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty() && dir.front() == '/') {  // relative PATH entries are never trusted
            const fs::path candidate = fs::path(dir) / std::string(binary);
            if (is_executable_file(candidate)) return candidate;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return std::nullopt;
}

claude_version_probe probe_claude_version(std::string_view binary, const environment& env,
                                          std::chrono::milliseconds timeout) {
    claude_version_probe probe;
    probe.path = resolve_executable(binary, env);
    if (!probe.path) return probe;
    const auto run = detail::run_child({probe.path->string(), "--version"}, env, timeout);
    if (!run.ok()) return probe;
    const std::string output = run.out + run.err;
    static const std::regex version_re(R"((\d+\.\d+(?:\.\d+)*))");
    std::smatch m;
    if (std::regex_search(output, m, version_re)) {
        probe.ok = true;
        probe.version = m[1].str();
    }
    return probe;
}

}  // namespace clauster::core
