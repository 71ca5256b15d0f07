#pragma once

#include <string>
#include <string_view>

namespace clauster::core {

/// Text from agents leaves the process only through here (spec §4.9):
/// error details, log lines, later agent results and webhooks.
///
/// Steps, in order: strip ANSI escapes (CSI, OSC ended by BEL or ESC \, two-byte
/// escapes) and invisible Unicode (zero-width, bidi controls, BOM, other
/// default-ignorables), then mask bearer-equivalent ids (`env_…`, `session_…`,
/// `cse_…` → `<prefix>_<redacted>`; bare UUIDs → `<redacted>`), then secret shapes
/// (GitHub, GitLab, AWS, `sk-`, Slack, `clauster_pat_`, `Bearer <value>`) → `<redacted>`.
/// Linear in the input; no backtracking regexes.
std::string redact_line(std::string_view text);

/// Only the ANSI/invisible stripping of @ref redact_line.
std::string strip_ansi(std::string_view text);

}  // namespace clauster::core
