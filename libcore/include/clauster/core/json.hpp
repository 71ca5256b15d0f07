#pragma once

#include <clauster/core/api_token.hpp>
#include <clauster/core/background_job.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/event.hpp>
#include <clauster/core/instance.hpp>
#include <clauster/core/project.hpp>
#include <clauster/core/working_session.hpp>

#include <boost/json/fwd.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

namespace clauster::core {

/// JSON wire forms of domain types (the public contract; see docs/api.md).
/// The only public header allowed to include Boost.JSON.

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const project& p);

/// Tokens never carry their hash on the wire: `{label, created_at, last_used_at}`.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const api_token& t);

/// The Instance of spec §3.1, the body of every instance route: exactly the
/// bridge fields, in the spec's order, absent optionals as `null`.
///
/// `session_url` is computed (@ref instance::session_url), `started_at` is
/// `2026-11-23T04:40:40.123456+00:00` (@ref format_iso_micros), paths are
/// strings, and `claude_session_uuid_usable` is `false` (no hosted sessions
/// yet). Internal fields (`log_stem`, boot ids of the keeper, `created_at`,
/// `updated_at`) are not on the wire.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const instance& inst);

/// A background job (spec §3.3): every field in the spec's order, absent
/// optionals as `null` (`worker_pid` is `null` unless the worker is alive).
/// Defined in background_job_json.cpp.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const background_job& job);

/// The inverse of the above (round trips; `permission_mode`/`model` are not on the wire).
background_job tag_invoke(boost::json::value_to_tag<background_job>, const boost::json::value& jv);

/// `{"id", "settled", "removed", "detail"}`.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const stop_result& r);

/// A working session (spec §3.3): `{pid, cwd, kind, state, started_at (epoch ms),
/// local_uuid, parent_instance (null unless tracked), attribution}`.
/// Defined in observation_json.cpp.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const working_session& s);

/// An event: `{seq, at (ISO 8601, microseconds, UTC), type, subject, project,
/// detail (null when none)}`. Defined in observation_json.cpp.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const event& e);

/// Reads a `POST /api/agents` body with the spec's type messages (§2.5):
/// `project must be a string` (missing, null or not a string), `<field> must be a
/// string` for `prompt`, `rc_name`, `model`, `permission_mode` (present, not null,
/// not a string). A non-object body is `request body must be a JSON object`.
/// Everything else (names, empties, the prompt rule) is checked by
/// `background_agents::dispatch`. @par Errors `invalid_argument`.
outcome<agent_request> parse_agent_request(const boost::json::value& body);

}  // namespace clauster::core
