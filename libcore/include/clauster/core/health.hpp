#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clauster::core {

/// What `/healthz` reports to an authenticated (or auth-off) caller (spec §2.7).
struct health_report {
    std::string version;
    bool claude_ok = false;
    std::optional<std::string> claude_version;
    /// A cold login cache reports true (spec §2.7).
    bool claude_login_ok = true;
    std::optional<std::string> claude_login_method;
    std::optional<std::int64_t> claude_login_expires_at;  ///< epoch ms
    int instances_running = 0;
};

}  // namespace clauster::core
