#pragma once

#include <span>
#include <string_view>

namespace clauster::store::detail {

/// The shipped schema migrations, oldest first.
///
/// Migration `n` (1-based) takes the schema from `PRAGMA user_version` `n - 1`
/// to `n`; the head version is the list's size. A shipped entry is never edited
/// or reordered: a schema change is a new entry appended at the end.
std::span<const std::string_view> migrations() noexcept;

}  // namespace clauster::store::detail
