#include "claude_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <sstream>

namespace clauster::core::detail {

std::optional<std::set<std::string>> read_trusted_paths(const std::filesystem::path& claude_json) {
    // Claude Code keeps history in this file; it can be large but never this large.
    constexpr std::uintmax_t max_bytes = 64ull * 1024 * 1024;
    std::error_code ec;
    const auto size = std::filesystem::file_size(claude_json, ec);
    if (ec || size > max_bytes) return std::nullopt;
    std::ifstream in(claude_json, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();

    boost::system::error_code parse_ec;
    const boost::json::value doc = boost::json::parse(text.str(), parse_ec);
    if (parse_ec || !doc.is_object()) return std::nullopt;
    std::set<std::string> trusted;
    const auto* projects = doc.as_object().if_contains("projects");
    if (projects == nullptr || !projects->is_object()) return trusted;
    for (const auto& [path, entry] : projects->as_object()) {
        if (!entry.is_object()) continue;
        const auto* accepted = entry.as_object().if_contains("hasTrustDialogAccepted");
        if (accepted != nullptr && accepted->is_bool() && accepted->as_bool()) trusted.emplace(path);
    }
    return trusted;
}

}  // namespace clauster::core::detail
