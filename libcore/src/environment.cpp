#include <clauster/core/environment.hpp>

#include <array>

extern char** environ;

namespace clauster::core {

environment current_environment() {
    environment env;
    for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
        const std::string_view entry{*p};
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return env;
}

std::optional<std::string> get_env(const environment& env, std::string_view name) {
    if (auto it = env.find(name); it != env.end()) return it->second;
    return std::nullopt;
}

bool is_secret_env_name(std::string_view name) {
    if (!name.starts_with("CLAUSTER_")) return false;
    static constexpr std::array<std::string_view, 4> markers{"SECRET", "PASSWORD", "TOKEN", "HASH"};
    for (auto marker : markers)
        if (name.find(marker) != std::string_view::npos) return true;
    return false;
}

environment scrub_secrets(const environment& env) {
    environment out;
    for (const auto& [k, v] : env)
        if (!is_secret_env_name(k)) out.emplace(k, v);
    return out;
}

}  // namespace clauster::core
