#include <clauster/core/project_catalog.hpp>

#include "claude_json.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

constexpr auto cache_ttl = std::chrono::seconds(2);

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

fs::file_time_type mtime_or_zero(const fs::path& p) {
    std::error_code ec;
    const auto t = fs::last_write_time(p, ec);
    return ec ? fs::file_time_type{} : t;
}

bool exists_no_throw(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec)) && !ec;
}

/// Spec §3.3: a git repository needs its own trusted key; any other directory
/// inherits trust from a trusted ancestor. Both the lexical and the resolved path
/// are tried, since Claude Code keys entries by its (resolved) cwd.
bool is_trusted(const fs::path& dir, bool is_git, const std::set<std::string>& trusted) {
    std::vector<fs::path> candidates{dir.lexically_normal()};
    std::error_code ec;
    if (auto real = fs::canonical(dir, ec); !ec && real != candidates.front()) candidates.push_back(real);
    for (const auto& start : candidates) {
        if (trusted.contains(start.string())) return true;
        if (is_git) continue;
        for (fs::path p = start.parent_path(); !p.empty(); p = p.parent_path()) {
            if (trusted.contains(p.string())) return true;
            if (p == p.root_path()) break;
        }
    }
    return false;
}

}  // namespace

project_catalog::project_catalog(const config& cfg, fs::path home)
    : config_(cfg), claude_json_(std::move(home) / ".claude.json") {}

project_catalog::stamp project_catalog::current_stamp() const {
    return stamp{mtime_or_zero(config_.projects_root), mtime_or_zero(claude_json_)};
}

void project_catalog::invalidate() { cached_stamp_.reset(); }

std::vector<project> project_catalog::list() {
    const auto now = std::chrono::steady_clock::now();
    const stamp current = current_stamp();
    if (cached_stamp_ && *cached_stamp_ == current && now - cached_at_ < cache_ttl) return cache_;

    const auto trusted = detail::read_trusted_paths(claude_json_).value_or(std::set<std::string>{});
    std::vector<project> found;
    std::error_code ec;
    fs::directory_iterator it(config_.projects_root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with('.') || !is_valid_project_name(name)) continue;
        std::error_code type_ec;
        if (!it->is_directory(type_ec) || type_ec) continue;
        project p;
        p.name = name;
        p.path = fs::absolute(it->path()).lexically_normal();
        p.is_git_repo = exists_no_throw(p.path / ".git");
        std::error_code probe_ec;
        p.has_claude_md = fs::is_regular_file(p.path / "CLAUDE.md", probe_ec);
        p.has_claude_dir = fs::is_directory(p.path / ".claude", probe_ec);
        p.trust_state = is_trusted(p.path, p.is_git_repo, trusted) ? trust_state::trusted : trust_state::untrusted;
        p.allow_bypass_permissions = config_.policy_for(name).allow_bypass_permissions;
        found.push_back(std::move(p));
    }
    std::sort(found.begin(), found.end(), [](const project& a, const project& b) {
        const auto la = lowered(a.name), lb = lowered(b.name);
        return la != lb ? la < lb : a.name < b.name;
    });
    cache_ = std::move(found);
    cached_stamp_ = current;
    cached_at_ = now;
    return cache_;
}

std::optional<project> project_catalog::find(std::string_view name) {
    if (!is_valid_project_name(name)) return std::nullopt;
    for (auto& p : list())
        if (p.name == name) return p;
    return std::nullopt;
}

}  // namespace clauster::core
