#pragma once

#include <optional>
#include <string_view>

namespace clauster::core::detail {

/// Writes all of @p data to @p fd, retrying short writes and EINTR; false on error (errno set).
bool write_all(int fd, std::string_view data);

/// Decodes one UTF-8 code point at @p i and advances @p i past it. Strict:
/// nullopt for truncated, overlong, surrogate or out-of-range sequences.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i);

}  // namespace clauster::core::detail
