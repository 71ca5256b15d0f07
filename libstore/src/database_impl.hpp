#pragma once

#include <clauster/store/database.hpp>

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace clauster::store {

/// The connection and what opening it found; shared with the repositories of
/// this library through @ref database::get_impl.
///
/// It lives behind a `unique_ptr`, so its address (and that of `db`) is stable
/// even when the owning @ref database is moved: repositories keep references
/// to `db`, not to the `database` wrapper.
struct database::impl {
    impl(std::filesystem::path file, SQLite::Database connection)
        : path(std::move(file)), db(std::move(connection)) {}

    std::filesystem::path path;
    SQLite::Database db;
    int version = 0;
    std::optional<std::filesystem::path> backup;

    /// @ref database::open with an explicit migration list, so tests can run
    /// short or deliberately broken lists. The head version is `migrations.size()`.
    static core::outcome<database> open(const std::filesystem::path& state_dir, const open_options& options,
                                        std::span<const std::string_view> migrations);
};

namespace detail {

/// Test seam: @ref database::open over @p migrations instead of the shipped list.
inline core::outcome<database> open_with_migrations(const std::filesystem::path& state_dir,
                                                    const open_options& options,
                                                    std::span<const std::string_view> migrations) {
    return database::impl::open(state_dir, options, migrations);
}

}  // namespace detail
}  // namespace clauster::store
