#include <clauster/core/error.hpp>

#include <stdexcept>
#include <boost/throw_exception.hpp>

namespace clauster::core {
namespace {

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
        }
        return "unknown clauster error";
    }
};

}  // namespace

const boost::system::error_category& domain_category() noexcept {
    static const domain_category_impl instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), domain_category()};
}

failure make_failure(errc e, std::string message) {
    return failure{make_error_code(e), std::move(message)};
}

void throw_exception_from_error(const failure& f, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(f.code, f.message), loc);
}

}  // namespace clauster::core
