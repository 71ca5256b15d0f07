#include <clauster/core/error.hpp>

#include <ostream>
#include <stdexcept>
#include <boost/throw_exception.hpp>

namespace clauster::core {
namespace {

// Boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class domain_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "clauster"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::not_found: return "not found";
            case errc::already_exists: return "already exists";
            case errc::invalid_argument: return "invalid argument";
            case errc::invalid_state: return "invalid state";
            case errc::conflict: return "conflict";
            case errc::unavailable: return "unavailable";
            case errc::forbidden: return "forbidden";
            case errc::bad_gateway: return "bad gateway";
        }
        return "unknown clauster error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& domain_category() noexcept {
    static const domain_category_impl instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), domain_category()};
}

std::ostream& operator<<(std::ostream& os, const failure& f) { return os << f.message; }

failure make_failure(errc e, std::string message) {
    return failure{make_error_code(e), std::move(message)};
}

void throw_exception_from_error(const failure& f, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(f.code, f.message), loc);
}

}  // namespace clauster::core
