#pragma once

#include <clauster/core/token_store.hpp>
#include <clauster/store/database.hpp>

#include <memory>

namespace clauster::store {

/// @ref core::token_store over the `api_tokens` table.
///
/// @par Thread safety
/// Not thread-safe; shares the connection of its @ref database.
class sqlite_token_store final : public core::token_store {
public:
    explicit sqlite_token_store(database& db);
    ~sqlite_token_store() override;

    core::result<core::api_token> insert(std::string_view label, std::string_view token_hash, time_point now) override;
    core::result<std::vector<core::api_token>> list() override;
    core::result<std::optional<core::api_token>> find_by_hash(std::string_view token_hash) override;
    core::result<core::api_token> replace_hash(std::string_view label, std::string_view token_hash, time_point now) override;
    core::result<void> remove(std::string_view label) override;
    core::result<void> touch(std::int64_t id, time_point now) override;

private:
    struct statements;
    database& db_;
    std::unique_ptr<statements> stmts_;
};

}  // namespace clauster::store
