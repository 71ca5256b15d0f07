#pragma once

// Pieces every SQLite repository of this library shares.

#include <clauster/core/error.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

namespace clauster::store::detail {

/// Borrows a cached statement: reset and cleared before use, reset again on
/// scope exit (exceptions included). The second reset matters in WAL mode: a
/// statement left mid-result keeps its read snapshot open, and later queries on
/// this connection would not see other connections' commits.
class lease {
public:
    explicit lease(SQLite::Statement& stmt) : stmt_(stmt) {
        stmt_.reset();
        stmt_.clearBindings();
    }
    ~lease() { stmt_.tryReset(); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    SQLite::Statement& operator*() const { return stmt_; }
    SQLite::Statement* operator->() const { return &stmt_; }

private:
    SQLite::Statement& stmt_;
};

inline std::string text(std::string_view s) { return std::string(s); }

/// The repository boundary (house style §3): a UNIQUE violation is a duplicate,
/// SQLITE_BUSY after the busy timeout means another process kept the write
/// lock; anything else is not an expected outcome and propagates.
template <class F>
auto at_boundary(F&& body) -> decltype(body()) {
    try {
        return std::forward<F>(body)();
    } catch (const SQLite::Exception& e) {
        if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE) return core::make_error_code(core::errc::already_exists);
        if ((e.getErrorCode() & 0xff) == SQLITE_BUSY) return core::make_error_code(core::errc::unavailable);
        throw;
    }
}

}  // namespace clauster::store::detail
