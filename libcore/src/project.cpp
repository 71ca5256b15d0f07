#include <clauster/core/project.hpp>

#include <algorithm>

namespace clauster::core {

std::string_view to_string(trust_state t) { return t == trust_state::trusted ? "trusted" : "untrusted"; }

bool is_valid_project_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

}  // namespace clauster::core
