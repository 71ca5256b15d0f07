#include <clauster/store/sqlite_instance_store.hpp>

#include "database_impl.hpp"
#include "repository_support.hpp"

#include <clauster/core/config.hpp>
#include <clauster/core/time_format.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <climits>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace clauster::store {

//------------------------------------------------------------------------------
// Prepared statements

namespace {

// The one column list of every SELECT, in the order read_instance expects.
#define CLAUSTER_INSTANCE_COLUMNS                                                                       \
    "instance_id, project_name, label, channel, spawn_mode, permission_mode, resume_mode, sandbox_mode, " \
    "worktree_name, intentional_stop, "                                                                 \
    "bridge_pid, bridge_start_ticks, bridge_boot_id, bridge_proc_start, "                               \
    "keeper_pid, keeper_start_ticks, keeper_boot_id, keeper_proc_start, "                               \
    "started_at, log_stem, bridge_debug_log_path, bridge_raw_log_path, created_at, updated_at"

enum column : int {
    c_instance_id,
    c_project_name,
    c_label,
    c_channel,
    c_spawn_mode,
    c_permission_mode,
    c_resume_mode,
    c_sandbox_mode,
    c_worktree_name,
    c_intentional_stop,
    c_bridge_pid,
    c_bridge_start_ticks,
    c_bridge_boot_id,
    c_bridge_proc_start,
    c_keeper_pid,
    c_keeper_start_ticks,
    c_keeper_boot_id,
    c_keeper_proc_start,
    c_started_at,
    c_log_stem,
    c_bridge_debug_log_path,
    c_bridge_raw_log_path,
    c_created_at,
    c_updated_at,
};

}  // namespace

/// Prepared once, reused for the life of the store. Every query reads the
/// table afresh (no cache), so a row written by another connection (the CLI)
/// is seen by this one (the server) on its next query.
struct sqlite_instance_store::statements {
    explicit statements(SQLite::Database& conn)
        : db(conn),
          // ON CONFLICT DO UPDATE, not INSERT OR REPLACE: REPLACE deletes the
          // old row, losing created_at and seq (the registration order).
          upsert(db,
                 "INSERT INTO instances (instance_id, seq, project_name, label, channel, spawn_mode, "
                 "permission_mode, resume_mode, sandbox_mode, worktree_name, intentional_stop, "
                 "bridge_pid, bridge_start_ticks, bridge_boot_id, bridge_proc_start, "
                 "keeper_pid, keeper_start_ticks, keeper_boot_id, keeper_proc_start, "
                 "started_at, log_stem, bridge_debug_log_path, bridge_raw_log_path, created_at, updated_at) "
                 "VALUES (:instance_id, (SELECT coalesce(max(seq), 0) + 1 FROM instances), :project_name, :label, "
                 ":channel, :spawn_mode, :permission_mode, :resume_mode, :sandbox_mode, :worktree_name, "
                 ":intentional_stop, :bridge_pid, :bridge_start_ticks, :bridge_boot_id, :bridge_proc_start, "
                 ":keeper_pid, :keeper_start_ticks, :keeper_boot_id, :keeper_proc_start, :started_at, :log_stem, "
                 ":bridge_debug_log_path, :bridge_raw_log_path, :created_at, :updated_at) "
                 "ON CONFLICT (instance_id) DO UPDATE SET "
                 "project_name = excluded.project_name, label = excluded.label, channel = excluded.channel, "
                 "spawn_mode = excluded.spawn_mode, permission_mode = excluded.permission_mode, "
                 "resume_mode = excluded.resume_mode, sandbox_mode = excluded.sandbox_mode, "
                 "worktree_name = excluded.worktree_name, intentional_stop = excluded.intentional_stop, "
                 "bridge_pid = excluded.bridge_pid, bridge_start_ticks = excluded.bridge_start_ticks, "
                 "bridge_boot_id = excluded.bridge_boot_id, bridge_proc_start = excluded.bridge_proc_start, "
                 "keeper_pid = excluded.keeper_pid, keeper_start_ticks = excluded.keeper_start_ticks, "
                 "keeper_boot_id = excluded.keeper_boot_id, keeper_proc_start = excluded.keeper_proc_start, "
                 "started_at = excluded.started_at, log_stem = excluded.log_stem, "
                 "bridge_debug_log_path = excluded.bridge_debug_log_path, "
                 "bridge_raw_log_path = excluded.bridge_raw_log_path, updated_at = excluded.updated_at"),
          list(db, "SELECT " CLAUSTER_INSTANCE_COLUMNS " FROM instances ORDER BY created_at, seq"),
          find(db, "SELECT " CLAUSTER_INSTANCE_COLUMNS " FROM instances WHERE instance_id = ?1"),
          remove(db, "DELETE FROM instances WHERE instance_id = ?1"),
          set_intentional_stop(db,
                               "UPDATE instances SET intentional_stop = ?2, updated_at = ?3 WHERE instance_id = ?1"),
          data_version(db, "PRAGMA data_version") {}

    // The connection lives in database::impl (stable address); the statements
    // below are declared after it and finalised before it goes away.
    SQLite::Database& db;
    SQLite::Statement upsert;
    SQLite::Statement list;
    SQLite::Statement find;
    SQLite::Statement remove;
    SQLite::Statement set_intentional_stop;
    SQLite::Statement data_version;
};

#undef CLAUSTER_INSTANCE_COLUMNS

namespace {

using detail::at_boundary;
using detail::lease;
using detail::text;

//------------------------------------------------------------------------------
// Enum wire names

/// instance.hpp declares to_string for the channel but no parser: invert it,
/// so the stored names are the wire names by construction.
std::optional<core::instance_channel> parse_channel(std::string_view s) {
    for (const auto c : {core::instance_channel::remote_control, core::instance_channel::hosted})
        if (core::to_string(c) == s) return c;
    return std::nullopt;
}

//------------------------------------------------------------------------------
// Binding

/// A start-ticks value as SQLite's signed 64-bit INTEGER; nullopt above 2^63 - 1.
std::optional<std::int64_t> ticks_to_sql(std::uint64_t ticks) {
    if (ticks > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(ticks);
}

bool ticks_fit(const std::optional<core::process_identity>& id) {
    return !id || !id->start_ticks || ticks_to_sql(*id->start_ticks).has_value();
}

void bind_text(SQLite::Statement& st, const char* name, const std::optional<std::string>& v) {
    if (v)
        st.bind(name, *v);
    else
        st.bind(name);
}

void bind_path(SQLite::Statement& st, const char* name, const std::optional<std::filesystem::path>& v) {
    if (v)
        st.bind(name, v->string());
    else
        st.bind(name);
}

void bind_time(SQLite::Statement& st, const char* name, const std::optional<core::instance::time_point>& v) {
    if (v)
        st.bind(name, core::format_iso_micros(*v));
    else
        st.bind(name);
}

/// Binds `<prefix>_pid`, `_start_ticks`, `_boot_id`, `_proc_start`: all NULL
/// when @p id is absent (the schema checks they are cleared together).
/// Callers check ticks_fit first.
void bind_identity(SQLite::Statement& st, const std::string& prefix, const std::optional<core::process_identity>& id) {
    const std::string pid = ":" + prefix + "_pid";
    const std::string ticks = ":" + prefix + "_start_ticks";
    const std::string boot = ":" + prefix + "_boot_id";
    const std::string start = ":" + prefix + "_proc_start";
    if (!id) {
        for (const std::string* name : {&pid, &ticks, &boot, &start}) st.bind(*name);
        return;
    }
    st.bind(pid, id->pid);
    if (id->start_ticks)
        st.bind(ticks, *ticks_to_sql(*id->start_ticks));
    else
        st.bind(ticks);
    bind_text(st, boot.c_str(), id->boot_id);
    if (id->proc_start)
        st.bind(start, *id->proc_start);
    else
        st.bind(start);
}

//------------------------------------------------------------------------------
// Reading

std::optional<std::string> read_text(SQLite::Statement& row, int column) {
    if (row.isColumnNull(column)) return std::nullopt;
    return row.getColumn(column).getString();
}

std::string read_text_or(SQLite::Statement& row, int column, std::string fallback) {
    auto v = read_text(row, column);
    return v ? std::move(*v) : std::move(fallback);
}

/// An enum column: its wire name parsed, or @p fallback for NULL or a name this
/// build does not know (written by a newer build or by hand).
template <class E, class Parse>
E read_enum(SQLite::Statement& row, int column, Parse parse, E fallback) {
    if (row.isColumnNull(column)) return fallback;
    return parse(row.getColumn(column).getString()).value_or(fallback);
}

std::optional<core::instance::time_point> read_time(SQLite::Statement& row, int column) {
    if (row.isColumnNull(column)) return std::nullopt;
    return core::parse_iso(row.getColumn(column).getString());
}

/// A process identity, or nullopt when the pid is NULL or unusable. A pid of 0
/// or below must never reach kill(2) (0 and -1 address process groups), so a
/// hand-written one reads as no identity at all.
std::optional<core::process_identity> read_identity(SQLite::Statement& row, int pid_col, int ticks_col, int boot_col,
                                                    int start_col) {
    if (!row.getColumn(pid_col).isInteger()) return std::nullopt;
    const std::int64_t pid = row.getColumn(pid_col).getInt64();
    if (pid <= 0 || pid > INT_MAX) return std::nullopt;

    core::process_identity id;
    id.pid = static_cast<int>(pid);
    if (row.getColumn(ticks_col).isInteger()) {
        const std::int64_t ticks = row.getColumn(ticks_col).getInt64();
        if (ticks >= 0) id.start_ticks = static_cast<std::uint64_t>(ticks);
    }
    id.boot_id = read_text(row, boot_col);
    if (const SQLite::Column start = row.getColumn(start_col); start.isFloat() || start.isInteger())
        id.proc_start = start.getDouble();
    return id;
}

/// The one row mapper, over the columns of CLAUSTER_INSTANCE_COLUMNS. Runtime
/// fields keep their defaults, except status, which reads as `stopped`: nothing
/// is known to run until the caller has re-checked the recorded identities.
core::instance read_instance(SQLite::Statement& row) {
    core::instance inst;
    inst.instance_id = row.getColumn(c_instance_id).getString();
    inst.project = read_text_or(row, c_project_name, "");
    inst.label = read_text_or(row, c_label, "");
    inst.channel = read_enum(row, c_channel, &parse_channel, core::instance_channel::remote_control);
    inst.spawn_mode = read_enum(row, c_spawn_mode, &core::parse_spawn_mode, core::spawn_mode::same_dir);
    // Unknown permission modes fall back to `default`, the mode that asks
    // before acting: never to anything more permissive.
    inst.permission_mode =
        read_enum(row, c_permission_mode, &core::parse_permission_mode, core::permission_mode::default_mode);
    inst.resume_mode = read_enum(row, c_resume_mode, &core::parse_launch_mode, core::launch_mode::standard);
    inst.sandbox_mode = read_text_or(row, c_sandbox_mode, "default");
    inst.worktree_name = read_text(row, c_worktree_name);
    inst.intentional_stop = row.getColumn(c_intentional_stop).getInt64() != 0;

    inst.bridge = read_identity(row, c_bridge_pid, c_bridge_start_ticks, c_bridge_boot_id, c_bridge_proc_start);
    inst.keeper = read_identity(row, c_keeper_pid, c_keeper_start_ticks, c_keeper_boot_id, c_keeper_proc_start);

    inst.started_at = read_time(row, c_started_at);
    inst.log_stem = read_text(row, c_log_stem);
    if (auto p = read_text(row, c_bridge_debug_log_path)) inst.bridge_debug_log_path = std::filesystem::path(*p);
    if (auto p = read_text(row, c_bridge_raw_log_path)) inst.bridge_raw_log_path = std::filesystem::path(*p);

    // Malformed stored times read as the epoch rather than failing the whole
    // list: this layer always writes format_iso_micros, so only a hand edit
    // gets here.
    inst.created_at = read_time(row, c_created_at).value_or(core::instance::time_point{});
    inst.updated_at = read_time(row, c_updated_at).value_or(inst.created_at);

    inst.status = core::instance_status::stopped;
    return inst;
}


}  // namespace

//------------------------------------------------------------------------------
// sqlite_instance_store

sqlite_instance_store::sqlite_instance_store(database& db)
    : clock_(system_clock_), stmts_(std::make_unique<statements>(db.get_impl().db)) {}

sqlite_instance_store::sqlite_instance_store(database& db, const core::clock& clock)
    : clock_(clock), stmts_(std::make_unique<statements>(db.get_impl().db)) {}

sqlite_instance_store::~sqlite_instance_store() = default;

core::result<void> sqlite_instance_store::upsert(const core::instance& inst) {
    if (!ticks_fit(inst.bridge) || !ticks_fit(inst.keeper)) return core::make_error_code(core::errc::invalid_argument);
    return at_boundary([&]() -> core::result<void> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        {
            lease st(stmts_->upsert);
            st->bind(":instance_id", inst.instance_id);
            st->bind(":project_name", inst.project);
            st->bind(":label", inst.label);
            st->bind(":channel", text(core::to_string(inst.channel)));
            st->bind(":spawn_mode", text(core::to_string(inst.spawn_mode)));
            st->bind(":permission_mode", text(core::to_string(inst.permission_mode)));
            st->bind(":resume_mode", text(core::to_string(inst.resume_mode)));
            st->bind(":sandbox_mode", inst.sandbox_mode);
            bind_text(*st, ":worktree_name", inst.worktree_name);
            st->bind(":intentional_stop", inst.intentional_stop ? 1 : 0);
            bind_identity(*st, "bridge", inst.bridge);
            bind_identity(*st, "keeper", inst.keeper);
            bind_time(*st, ":started_at", inst.started_at);
            bind_text(*st, ":log_stem", inst.log_stem);
            bind_path(*st, ":bridge_debug_log_path", inst.bridge_debug_log_path);
            bind_path(*st, ":bridge_raw_log_path", inst.bridge_raw_log_path);
            st->bind(":created_at", core::format_iso_micros(inst.created_at));
            st->bind(":updated_at", core::format_iso_micros(inst.updated_at));
            st->exec();
        }
        tx.commit();
        return {};
    });
}

core::result<std::vector<core::instance>> sqlite_instance_store::list() {
    return at_boundary([&]() -> core::result<std::vector<core::instance>> {
        std::vector<core::instance> out;
        lease st(stmts_->list);
        while (st->executeStep()) out.push_back(read_instance(*st));
        return out;
    });
}

std::optional<std::uint64_t> sqlite_instance_store::change_token() {
    try {
        lease st(stmts_->data_version);
        if (!st->executeStep()) return std::nullopt;
        return static_cast<std::uint64_t>(st->getColumn(0).getInt64());
    } catch (const std::exception&) {
        return std::nullopt;  // unknown: the caller re-reads
    }
}

core::result<std::optional<core::instance>> sqlite_instance_store::find(std::string_view instance_id) {
    return at_boundary([&]() -> core::result<std::optional<core::instance>> {
        lease st(stmts_->find);
        st->bind(1, text(instance_id));
        if (!st->executeStep()) return std::optional<core::instance>{};
        return std::optional<core::instance>{read_instance(*st)};
    });
}

core::result<void> sqlite_instance_store::remove(std::string_view instance_id) {
    return at_boundary([&]() -> core::result<void> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        {
            lease st(stmts_->remove);
            st->bind(1, text(instance_id));
            if (st->exec() == 0) return core::make_error_code(core::errc::not_found);
        }
        tx.commit();
        return {};
    });
}

core::result<void> sqlite_instance_store::set_intentional_stop(std::string_view instance_id, bool value) {
    return at_boundary([&]() -> core::result<void> {
        SQLite::Transaction tx(stmts_->db, SQLite::TransactionBehavior::IMMEDIATE);
        {
            lease st(stmts_->set_intentional_stop);
            st->bind(1, text(instance_id));
            st->bind(2, value ? 1 : 0);
            st->bind(3, core::format_iso_micros(clock_.now()));
            if (st->exec() == 0) return core::make_error_code(core::errc::not_found);
        }
        tx.commit();
        return {};
    });
}

}  // namespace clauster::store
