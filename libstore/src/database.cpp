#include <clauster/store/database.hpp>

#include "database_impl.hpp"
#include "migrations.hpp"

#include <clauster/core/secure_fs.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::store {
namespace fs = std::filesystem;

namespace {

constexpr const char* k_db_file = "clauster.db";
constexpr const char* k_backup_dir = "backups";

core::failure refuse(std::string message) { return core::make_failure(core::errc::invalid_state, std::move(message)); }

core::failure os_failure(std::string_view what, const fs::path& p, int err) {
    return refuse(std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

//------------------------------------------------------------------------------
// Files

/// Creates @p p owner-only (or forces an existing file to 0600) *before* SQLite
/// opens it, so the database is never readable by others, not even briefly.
/// SQLite gives the -wal and -shm files it creates the mode of the main file.
core::outcome<void> create_private_file(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return os_failure("cannot open", p, errno);
    const int rc = ::fchmod(fd, 0600);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return os_failure("cannot make private (chmod 0600)", p, err);
    return {};
}

/// Forces 0600 on @p p when it exists (the -wal/-shm companions of a file that
/// an older build, or another tool, created with a wider mode).
core::outcome<void> make_private_if_present(const fs::path& p) {
    if (::chmod(p.c_str(), 0600) == 0 || errno == ENOENT) return {};
    return os_failure("cannot make private (chmod 0600)", p, errno);
}

fs::path with_suffix(const fs::path& p, const char* suffix) {
    fs::path out = p;
    out += suffix;
    return out;
}

/// UTC `YYYYmmddTHHMMSSZ`, the stamp in snapshot names.
std::string utc_stamp(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

//------------------------------------------------------------------------------
// Schema version

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

//------------------------------------------------------------------------------
// Pre-migration snapshots

/// Deletes the oldest `pre-*.db` snapshots in @p dir (by mtime, not by name) so
/// that at most @p keep remain. The snapshot just taken is always kept, even
/// when @p keep is 0: it is the one that protects the migration about to run.
///
/// Pruning is housekeeping: a file that cannot be listed or deleted is left in
/// place and never stops the migration.
void prune_snapshots(const fs::path& dir, std::size_t keep, const fs::path& just_taken) {
    struct snapshot {
        fs::path path;
        fs::file_time_type mtime;
    };
    std::vector<snapshot> older;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string name = p.filename().string();
        if (!name.starts_with("pre-") || !name.ends_with(".db") || p == just_taken) continue;
        std::error_code entry_ec;
        if (!fs::is_regular_file(it->symlink_status(entry_ec)) || entry_ec) continue;
        const auto mtime = it->last_write_time(entry_ec);
        if (entry_ec) continue;
        older.push_back({p, mtime});
    }
    const std::size_t keep_older = keep > 0 ? keep - 1 : 0;
    if (older.size() <= keep_older) return;
    // Newest first; equal mtimes fall back to the name, which embeds the stamp.
    std::sort(older.begin(), older.end(), [](const snapshot& a, const snapshot& b) {
        if (a.mtime != b.mtime) return a.mtime > b.mtime;
        return a.path.filename() > b.path.filename();
    });
    for (std::size_t i = keep_older; i < older.size(); ++i) {
        std::error_code rm_ec;
        fs::remove(older[i].path, rm_ec);
    }
}

/// `VACUUM INTO state_dir/backups/pre-<cur>-<head>-<stamp>.db` (0600 in a 0700 dir).
///
/// The target is created empty with O_EXCL first (VACUUM INTO accepts an empty
/// file): this fixes its mode before any byte is written and makes two opens in
/// the same second pick distinct names instead of clobbering one another.
core::outcome<fs::path> take_snapshot(SQLite::Database& db, const fs::path& state_dir, int cur, int head,
                                      std::size_t keep) {
    const fs::path dir = state_dir / k_backup_dir;
    if (auto made = core::ensure_private_dir(dir); !made) return made.error();

    const std::string base = "pre-" + std::to_string(cur) + "-" + std::to_string(head) + "-" +
                             utc_stamp(std::chrono::system_clock::now());
    fs::path target;
    for (int n = 0;; ++n) {
        target = dir / (n == 0 ? base + ".db" : base + "-" + std::to_string(n) + ".db");
        const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            ::close(fd);
            break;
        }
        if (errno != EEXIST || n >= 99) return os_failure("cannot create snapshot", target, errno);
    }

    try {
        SQLite::Statement vacuum(db, "VACUUM INTO ?1");
        vacuum.bind(1, target.string());
        vacuum.exec();
    } catch (const SQLite::Exception& e) {
        std::error_code ec;
        fs::remove(target, ec);
        return refuse("cannot snapshot " + db.getFilename() + " into " + target.string() + ": " + e.what());
    }
    if (auto priv = make_private_if_present(target); !priv) return priv.error();

    prune_snapshots(dir, keep, target);
    return target;
}

//------------------------------------------------------------------------------
// Migrations

/// Applies every migration above the current `user_version`, each in its own
/// IMMEDIATE transaction that also bumps `user_version`, so a failure leaves the
/// file exactly at the last version that fully applied.
core::outcome<void> migrate(SQLite::Database& db, std::span<const std::string_view> migrations) {
    const int head = static_cast<int>(migrations.size());
    for (;;) {
        int next = 0;
        try {
            SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
            // Re-read under the write lock: another process sharing the file (the
            // CLI beside the server) may have migrated while we were waiting.
            const int cur = user_version(db);
            if (cur > head)
                return refuse("database schema version " + std::to_string(cur) + " is newer than this build (head " +
                              std::to_string(head) + ")");
            if (cur == head) return {};  // nothing written: the destructor rolls the empty transaction back
            next = cur + 1;
            db.exec(std::string(migrations[static_cast<std::size_t>(cur)]));
            // PRAGMA takes no bound parameters; the value is our own integer, never input.
            db.exec("PRAGMA user_version = " + std::to_string(next));
            tx.commit();
        } catch (const SQLite::Exception& e) {
            if (next == 0) return refuse(std::string("cannot start migrating: ") + e.what());
            return refuse("migration " + std::to_string(next) + " failed: " + e.what());
        }
    }
}

}  // namespace

//------------------------------------------------------------------------------
// database::impl

core::outcome<database> database::impl::open(const fs::path& state_dir, const open_options& options,
                                             std::span<const std::string_view> migrations) {
    const int head = static_cast<int>(migrations.size());

    if (auto dir = core::ensure_private_dir(state_dir); !dir) return dir.error();
    const fs::path file = state_dir / k_db_file;
    if (auto created = create_private_file(file); !created) return created.error();

    try {
        auto self = std::make_unique<impl>(
            file, SQLite::Database(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, options.busy_timeout_ms));
        SQLite::Database& db = self->db;

        // Reading the schema makes SQLite parse the header: a file that is not a
        // database fails here (SQLITE_NOTADB), before anything is written to it.
        const int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
        const int cur = user_version(db);
        if (cur > head)
            return refuse("database schema version " + std::to_string(cur) + " is newer than this build (head " +
                          std::to_string(head) + ")");
        if (cur < 0) return refuse("database schema version " + std::to_string(cur) + " is not a clauster version");

        // WAL lets the CLI and the server share the file: readers never block the
        // writer, and the busy timeout covers writer-writer contention.
        const std::string mode = db.execAndGet("PRAGMA journal_mode=WAL").getString();
        if (mode != "wal") return refuse("cannot enable WAL on " + file.string() + " (journal mode is " + mode + ")");
        db.exec("PRAGMA synchronous=NORMAL");
        db.exec("PRAGMA foreign_keys=ON");
        for (const char* suffix : {"-wal", "-shm"})
            if (auto priv = make_private_if_present(with_suffix(file, suffix)); !priv) return priv.error();

        if (cur < head) {
            // Snapshot only a database that holds something. A brand-new (or
            // empty) file has user_version 0 and no schema object: there is
            // nothing to lose, and a snapshot on every first start would only
            // crowd out the useful ones. A version-0 file with foreign tables *is*
            // snapshotted, since migrating it touches data we did not write.
            //
            // A failed snapshot refuses the migration (fail closed), unlike the
            // reference system, which logs and carries on: we have no logger at
            // this layer, and a silent migration without its promised backup is
            // the worse outcome. The operator can disable `backup_before_migrate`.
            if (options.backup_before_migrate && (cur > 0 || objects > 0)) {
                auto snap = take_snapshot(db, state_dir, cur, head, options.keep_backups);
                if (!snap) {
                    auto f = snap.error();
                    f.message = "refusing to migrate without a backup: " + f.message;
                    return f;
                }
                self->backup = *snap;
            }
            if (auto migrated = migrate(db, migrations); !migrated) return migrated.error();
        }
        self->version = user_version(db);
        return database(std::move(self));
    } catch (const SQLite::Exception& e) {
        if ((e.getErrorCode() & 0xff) == SQLITE_NOTADB)
            return refuse(file.string() + " is not a SQLite database: " + e.what());
        return refuse("cannot open " + file.string() + ": " + e.what());
    }
}

//------------------------------------------------------------------------------
// database

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

core::outcome<database> database::open(const fs::path& state_dir, const open_options& options) {
    return impl::open(state_dir, options, detail::migrations());
}

int database::schema_version() const { return impl_->version; }

int database::head_version() { return static_cast<int>(detail::migrations().size()); }

const fs::path& database::path() const { return impl_->path; }

const std::optional<fs::path>& database::backup_taken() const { return impl_->backup; }

}  // namespace clauster::store
