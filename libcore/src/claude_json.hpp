#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace clauster::core::detail {

/// The set of absolute paths `~/.claude.json` marks `hasTrustDialogAccepted: true`.
///
/// nullopt when the file is missing, too large, or does not parse; callers then
/// treat every directory as untrusted (fail closed).
std::optional<std::set<std::string>> read_trusted_paths(const std::filesystem::path& claude_json);

}  // namespace clauster::core::detail
