#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <iosfwd>
#include <string>
#include <type_traits>

namespace clauster::core {

/// Domain failure categories that callers branch on.
///
/// Front-ends map these to their own vocabulary (HTTP statuses, CLI exit codes);
/// the mapping lives in exactly one place per front-end.
enum class errc {
    not_found = 1,
    already_exists,
    invalid_argument,
    invalid_state,
    conflict,
    unavailable,
    /// Refused by policy (e.g. the bypassPermissions ceiling): HTTP 403.
    forbidden,
    /// An upstream program we drive failed (e.g. `claude --bg` dispatch): HTTP 502.
    bad_gateway,
};

/// The Boost.System category of @ref errc.
const boost::system::error_category& domain_category() noexcept;

/// Builds an error_code in @ref domain_category (found by ADL).
boost::system::error_code make_error_code(errc e) noexcept;

/// Expected failures are returned, never thrown.
template <class T>
using result = boost::system::result<T>;

/// A failure with a human message for the operator, kept beside its code.
///
/// Domain services return it when the caller must show *why* (for example the
/// exact store message for a duplicate label), not only *what kind*.
struct failure {
    boost::system::error_code code;
    std::string message;
};

/// Prints the message (used by logs and test diagnostics).
std::ostream& operator<<(std::ostream& os, const failure& f);

/// Makes a @ref failure from a domain code and a message.
failure make_failure(errc e, std::string message);

/// Rethrow hook so `result<T, failure>::value()` can throw on error.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

/// A result whose error carries a message.
template <class T>
using outcome = boost::system::result<T, failure>;

}  // namespace clauster::core

template <>
struct boost::system::is_error_code_enum<clauster::core::errc> : std::true_type {};
