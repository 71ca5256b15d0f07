#pragma once

#include <clauster/core/api_token.hpp>
#include <clauster/core/instance.hpp>
#include <clauster/core/project.hpp>

#include <boost/json/fwd.hpp>
#include <boost/json/value_from.hpp>

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

}  // namespace clauster::core
