#pragma once

#include <clauster/core/api_token.hpp>
#include <clauster/core/error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// Persistence port for named API tokens; libstore implements it over SQLite.
///
/// @par Errors
/// `already_exists` for a duplicate label or hash, `not_found` for an unknown
/// label, `unavailable` when the database stayed busy. Other storage failures throw.
///
/// @par Thread safety
/// Not thread-safe; owned by one thread.
class token_store {
public:
    using time_point = std::chrono::system_clock::time_point;

    virtual ~token_store() = default;

    /// Inserts a token row; @return the stored record.
    virtual result<api_token> insert(std::string_view label, std::string_view token_hash, time_point now) = 0;

    /// All tokens, ordered by creation time then id.
    virtual result<std::vector<api_token>> list() = 0;

    /// The row whose hash equals @p token_hash, if any.
    virtual result<std::optional<api_token>> find_by_hash(std::string_view token_hash) = 0;

    /// Replaces the hash of @p label (rotate); @return the updated record.
    virtual result<api_token> replace_hash(std::string_view label, std::string_view token_hash, time_point now) = 0;

    /// Deletes @p label.
    virtual result<void> remove(std::string_view label) = 0;

    /// Records a successful use (best effort for callers).
    virtual result<void> touch(std::int64_t id, time_point now) = 0;
};

}  // namespace clauster::core
