#pragma once

#include <optional>
#include <string>

namespace clauster::http {

/// Who a request authenticated as (spec §4.1): the single operator identity,
/// and which credential path let it in.
///
/// The guard tries the paths in the spec's order (trusted proxy, Bearer token,
/// session cookie); only the Bearer path exists so far. `via_token` and
/// `via_proxy` exempt unsafe methods from the Origin check (spec §4.4).
struct authenticated_as {
    std::string user = "admin";
    bool via_token = false;
    bool via_proxy = false;
    /// Label of the named API token; nullopt for the legacy hash or other paths.
    std::optional<std::string> token_label;
};

}  // namespace clauster::http
