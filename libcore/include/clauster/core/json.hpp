#pragma once

#include <clauster/core/api_token.hpp>
#include <clauster/core/project.hpp>

#include <boost/json/fwd.hpp>
#include <boost/json/value_from.hpp>

namespace clauster::core {

/// JSON wire forms of domain types (the public contract; see docs/api.md).
/// The only public header allowed to include Boost.JSON.

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const project& p);

/// Tokens never carry their hash on the wire: `{label, created_at, last_used_at}`.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const api_token& t);

}  // namespace clauster::core
