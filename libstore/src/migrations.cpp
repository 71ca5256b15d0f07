#include "migrations.hpp"

#include <array>

namespace clauster::store::detail {
namespace {

// Each entry runs through sqlite3_exec inside its own IMMEDIATE transaction, so
// an entry may hold several statements. Foreign keys are ON while migrating:
// a future table rebuild must be written with that in mind.
//
// NEVER edit or reorder a shipped entry; append a new one.
constexpr std::array<std::string_view, 1> k_migrations{{
    // 1: named API tokens (spec §3.4, §4.6). Only the lower-case hex SHA-256 of
    // the raw token is stored. Timestamps are ISO-8601 UTC text with
    // microseconds (core::format_iso_micros), which sort chronologically.
    R"sql(
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    label        TEXT NOT NULL UNIQUE CHECK (length(label) BETWEEN 1 AND 64),
    token_hash   TEXT NOT NULL UNIQUE
                 CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_used_at TEXT
);
)sql",
}};

}  // namespace

std::span<const std::string_view> migrations() noexcept { return k_migrations; }

}  // namespace clauster::store::detail
