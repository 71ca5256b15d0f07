#include <clauster/store/sqlite_token_store.hpp>

#include "database_impl.hpp"
#include "repository_support.hpp"

#include <clauster/core/time_format.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace clauster::store {

//------------------------------------------------------------------------------
// Prepared statements

/// Prepared once, reused for the life of the store. Every query reads the
/// table afresh (no cache), so a token revoked by another connection (the CLI)
/// is gone for this one (the server) on its next query.
struct sqlite_token_store::statements {
    explicit statements(SQLite::Database& conn)
        : db(conn),
          insert(db,
                 "INSERT INTO api_tokens (label, token_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
                 "RETURNING id, label, token_hash, created_at, updated_at, last_used_at"),
          list(db,
               "SELECT id, label, token_hash, created_at, updated_at, last_used_at "
               "FROM api_tokens ORDER BY created_at, id"),
          find_by_hash(db,
                       "SELECT id, label, token_hash, created_at, updated_at, last_used_at "
                       "FROM api_tokens WHERE token_hash = ?1"),
          replace_hash(db,
                       "UPDATE api_tokens SET token_hash = ?2, updated_at = ?3 WHERE label = ?1 "
                       "RETURNING id, label, token_hash, created_at, updated_at, last_used_at"),
          remove(db, "DELETE FROM api_tokens WHERE label = ?1"),
          touch(db, "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1") {}

    // The connection lives in database::impl (stable address); the statements
    // below are declared after it and finalised before it goes away.
    SQLite::Database& db;
    SQLite::Statement insert;
    SQLite::Statement list;
    SQLite::Statement find_by_hash;
    SQLite::Statement replace_hash;
    SQLite::Statement remove;
    SQLite::Statement touch;
};

namespace {

using detail::at_boundary;
using detail::lease;
using detail::text;

std::chrono::system_clock::time_point read_time(const SQLite::Statement& row, int column) {
    const std::string stored = row.getColumn(column).getString();
    if (auto t = core::parse_iso(stored)) return *t;
    // Only this library writes the table, always through format_iso_micros.
    throw std::runtime_error("api_tokens." + std::string(row.getColumnName(column)) + ": malformed timestamp '" +
                             stored + "'");
}

/// The one row mapper: columns `id, label, token_hash, created_at, updated_at, last_used_at`.
core::api_token read_token(SQLite::Statement& row) {
    core::api_token token;
    token.id = row.getColumn(0).getInt64();
    token.label = row.getColumn(1).getString();
    token.token_hash = row.getColumn(2).getString();
    token.created_at = read_time(row, 3);
    token.updated_at = read_time(row, 4);
    if (!row.isColumnNull(5)) token.last_used_at = read_time(row, 5);
    return token;
}


}  // namespace

//------------------------------------------------------------------------------
// sqlite_token_store

sqlite_token_store::sqlite_token_store(database& db)
    : db_(db), stmts_(std::make_unique<statements>(db.get_impl().db)) {}

sqlite_token_store::~sqlite_token_store() = default;

core::result<core::api_token> sqlite_token_store::insert(std::string_view label, std::string_view token_hash,
                                                         time_point now) {
    return at_boundary([&]() -> core::result<core::api_token> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        core::api_token stored;
        {
            lease st(stmts_->insert);
            st->bind(1, text(label));
            st->bind(2, text(token_hash));
            st->bind(3, core::format_iso_micros(now));
            if (!st->executeStep()) throw std::logic_error("INSERT ... RETURNING returned no row");
            stored = read_token(*st);
        }
        tx.commit();
        return stored;
    });
}

core::result<std::vector<core::api_token>> sqlite_token_store::list() {
    return at_boundary([&]() -> core::result<std::vector<core::api_token>> {
        std::vector<core::api_token> tokens;
        lease st(stmts_->list);
        while (st->executeStep()) tokens.push_back(read_token(*st));
        return tokens;
    });
}

core::result<std::optional<core::api_token>> sqlite_token_store::find_by_hash(std::string_view token_hash) {
    return at_boundary([&]() -> core::result<std::optional<core::api_token>> {
        lease st(stmts_->find_by_hash);
        st->bind(1, text(token_hash));
        if (!st->executeStep()) return std::optional<core::api_token>{};
        return std::optional<core::api_token>{read_token(*st)};
    });
}

core::result<core::api_token> sqlite_token_store::replace_hash(std::string_view label, std::string_view token_hash,
                                                               time_point now) {
    return at_boundary([&]() -> core::result<core::api_token> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        core::api_token stored;
        {
            lease st(stmts_->replace_hash);
            st->bind(1, text(label));
            st->bind(2, text(token_hash));
            st->bind(3, core::format_iso_micros(now));
            if (!st->executeStep()) return core::make_error_code(core::errc::not_found);
            stored = read_token(*st);
        }
        tx.commit();
        return stored;
    });
}

core::result<void> sqlite_token_store::remove(std::string_view label) {
    return at_boundary([&]() -> core::result<void> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        {
            lease st(stmts_->remove);
            st->bind(1, text(label));
            if (st->exec() == 0) return core::make_error_code(core::errc::not_found);
        }
        tx.commit();
        return {};
    });
}

core::result<void> sqlite_token_store::touch(std::int64_t id, time_point now) {
    return at_boundary([&]() -> core::result<void> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        {
            lease st(stmts_->touch);
            st->bind(1, id);
            st->bind(2, core::format_iso_micros(now));
            // updated_at is left alone: it records changes to the token itself.
            if (st->exec() == 0) return core::make_error_code(core::errc::not_found);
        }
        tx.commit();
        return {};
    });
}

}  // namespace clauster::store
