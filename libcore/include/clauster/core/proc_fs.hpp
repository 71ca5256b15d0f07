#pragma once

#include <clauster/core/process_identity.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// Linux procfs readers used by the process supervision engine.
///
/// Every reader is a free function that returns an empty optional (or an empty
/// vector) when the file cannot be read: the process is gone, procfs is not
/// mounted, or permission is denied. Nothing here throws for a vanished process:
/// processes disappear between any two reads, and callers must treat every
/// answer as a snapshot. None of these functions caches anything except
/// @ref clock_ticks_per_second.

namespace clauster::core {

/// The fields of `/proc/<pid>/stat` the supervision engine needs.
struct proc_stat {
    /// Field 3: `R`, `S`, `D`, `T`, `t`, `Z` (zombie), `X`/`x` (dead), …
    char state = '?';
    int ppid = 0;     ///< field 4
    int pgrp = 0;     ///< field 5: process group id
    int session = 0;  ///< field 6: session id
    /// Field 22: start time in clock ticks since boot (exact, immune to NTP).
    std::uint64_t start_ticks = 0;

    bool operator==(const proc_stat&) const = default;
};

/// True for the states that mean "exited": zombie (`Z`) and dead (`X`, `x`).
bool is_exited_state(char state) noexcept;

/// Parses the text of a `/proc/<pid>/stat` file.
///
/// The comm field (2) is whatever the process named itself and may contain
/// spaces and parentheses, so fields 3… are read after the **last** `)`.
/// @return nullopt when the text is malformed.
std::optional<proc_stat> parse_proc_stat(std::string_view text);

/// Reads and parses `/proc/<pid>/stat`. @return nullopt when @p pid does not exist
/// (or @p pid <= 0).
std::optional<proc_stat> read_proc_stat(int pid);

/// `/proc/sys/kernel/random/boot_id`, trimmed; nullopt when unreadable.
std::optional<std::string> read_boot_id();

/// The `btime` line of `/proc/stat`: boot time in epoch seconds. It is derived
/// from the wall clock and moves under NTP slew, so it is only good for a coarse
/// epoch. @return nullopt where procfs has no btime (gVisor, some containers).
std::optional<std::int64_t> boot_time_epoch();

/// `sysconf(_SC_CLK_TCK)` (the unit of @ref proc_stat::start_ticks), cached.
long clock_ticks_per_second() noexcept;

/// argv of @p pid from `/proc/<pid>/cmdline` (NUL-separated). Empty for kernel
/// threads and zombies; nullopt when the process does not exist or is unreadable.
std::optional<std::vector<std::string>> read_cmdline(int pid);

/// The target of `/proc/<pid>/cwd`; nullopt when unreadable.
std::optional<std::filesystem::path> read_cwd(int pid);

/// The identity a stat snapshot describes: `start_ticks` from @p stat, the
/// current boot id, and `proc_start = btime + start_ticks / CLK_TCK` (nullopt
/// without btime). Never re-reads `/proc/<pid>/stat`, so the ticks and the epoch
/// always describe the same process.
process_identity identity_from_stat(int pid, const proc_stat& stat);

/// The identity of @p pid now, from **one** read of `/proc/<pid>/stat`.
/// @return nullopt when the process does not exist or has exited (zombie/dead).
std::optional<process_identity> current_identity(int pid);

/// True when @p current (read now) is the same process as @p recorded.
///
/// Rules, in order (clauster-internals §1.3; a bare pid is never trusted):
/// 1. The pids must be equal and positive.
/// 2. When @p recorded has `start_ticks`, @p current must have the same ticks
///    (exact; unreadable ticks fail closed).
/// 3. When both sides have a `boot_id`: different ids mean the recorded process
///    died with an earlier boot (false); equal ids plus the equal ticks of rule 2
///    are a complete identity (true) and the epoch is not consulted, so no clock
///    step can make a live process look dead.
/// 4. Ticks matched but boot ids are not comparable (rows written without one):
///    the epoch is demoted to a coarse same-boot check, ±3600 s when both sides
///    have one (btime moves under NTP slew: a ±2 s check here marked live
///    bridges dead, reference #1399); true when either side lacks an epoch.
/// 5. No ticks recorded: the epochs must both be present and within ±2 s.
/// 6. Nothing recorded (no ticks, no epoch): false.
bool identity_matches(const process_identity& recorded, const process_identity& current);

/// Direct children of @p pid, ascending. Uses `/proc/<pid>/task/*/children` where
/// the kernel has it (CONFIG_PROC_CHILDREN), else scans the ppid of every
/// `/proc/<n>/stat`.
std::vector<int> child_pids(int pid);

/// Every descendant of @p pid, breadth first (children before grandchildren),
/// without @p pid itself. Each pid appears once, even if pids are recycled while
/// the tree is walked.
std::vector<int> descendant_pids(int pid);

}  // namespace clauster::core
