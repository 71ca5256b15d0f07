#include <clauster/core/session_attribution.hpp>

#include <algorithm>
#include <iterator>

namespace clauster::core {

namespace fs = std::filesystem;

namespace {

bool bridge_kind(std::string_view kind) { return kind.empty() || kind == "interactive"; }

/// True when @p path is @p dir or lies below it (whole components only).
bool is_within(const fs::path& path, const fs::path& dir) {
    auto p = path.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
        if (d->empty()) continue;  // a trailing separator
        if (p == path.end() || *p != *d) return false;
    }
    return true;
}

/// Picks the owner of @p pid among @p candidates (indices into claims).
std::optional<std::size_t> select_owner(const std::vector<std::size_t>& candidates,
                                        const std::vector<bridge_claim>& claims, int pid, bool unproven_may_claim) {
    if (candidates.empty()) return std::nullopt;
    for (const auto i : candidates)
        if (claims[i].owned_pids && claims[i].owned_pids->contains(pid)) return i;
    std::vector<std::size_t> unproven;
    std::copy_if(candidates.begin(), candidates.end(), std::back_inserter(unproven),
                 [&](std::size_t i) { return !claims[i].owned_pids.has_value(); });
    if (unproven.empty()) return std::nullopt;  // every candidate can prove ownership; none owns it
    if (unproven_may_claim || unproven.size() == candidates.size()) return unproven.front();
    return std::nullopt;
}

}  // namespace

void attribute_sessions(std::vector<working_session>& sessions, const std::vector<bridge_claim>& claims,
                        const path_resolver& resolve) {
    const auto norm = [&](const fs::path& p) {
        fs::path n = (resolve ? resolve(p) : p).lexically_normal();
        // `/p/a/x/..` normalises to `/p/a/`: drop the trailing separator.
        if (!n.has_filename() && n.has_relative_path()) n = n.parent_path();
        return n;
    };
    std::vector<fs::path> roots;
    roots.reserve(claims.size());
    for (const auto& c : claims) roots.push_back(norm(c.project_path));

    // Worktree subtrees, deepest first, so a nested project's bridge wins.
    std::vector<std::pair<fs::path, std::vector<std::size_t>>> subtrees;
    for (std::size_t i = 0; i < claims.size(); ++i) {
        if (!claims[i].worktree) continue;
        const fs::path dir = (roots[i] / ".claude" / "worktrees").lexically_normal();
        auto it = std::find_if(subtrees.begin(), subtrees.end(), [&](const auto& s) { return s.first == dir; });
        if (it == subtrees.end()) subtrees.push_back({dir, {i}});
        else it->second.push_back(i);
    }
    std::stable_sort(subtrees.begin(), subtrees.end(), [](const auto& a, const auto& b) {
        return std::distance(a.first.begin(), a.first.end()) > std::distance(b.first.begin(), b.first.end());
    });

    for (auto& s : sessions) {
        s.parent_instance.reset();
        if (!bridge_kind(s.kind)) {
            s.attribution = session_attribution::untracked;
            continue;
        }
        const fs::path cwd = norm(s.cwd);
        std::vector<std::size_t> here;
        for (std::size_t i = 0; i < claims.size(); ++i)
            if (roots[i] == cwd) here.push_back(i);
        auto owner = select_owner(here, claims, s.pid, false);
        if (!owner) {
            const auto sub = std::find_if(subtrees.begin(), subtrees.end(),
                                          [&](const auto& st) { return is_within(cwd, st.first); });
            if (sub != subtrees.end())
                owner = sub->second.size() == 1 ? std::optional(sub->second.front())
                                                : select_owner(sub->second, claims, s.pid, true);
        }
        if (owner) {
            s.attribution = session_attribution::tracked;
            s.parent_instance = claims[*owner].instance_id;
        } else {
            s.attribution = session_attribution::external;
        }
    }
}

}  // namespace clauster::core
