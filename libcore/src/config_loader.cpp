#include <clauster/core/config_loader.hpp>

#include "config_parser.hpp"
#include "config_schema.hpp"
#include "config_tree.hpp"

#include <clauster/core/error.hpp>
#include <clauster/core/secure_fs.hpp>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <system_error>

namespace clauster::core {

namespace fs = std::filesystem;

namespace {

// The YAML the server runs on when no clauster.yml is found. Keep it in sync
// with docs/configuration.md ("Embedded defaults").
constexpr std::string_view embedded_yaml =
    "# clauster embedded defaults: used when no clauster.yml is found.\n"
    "# Every other key keeps its documented default; CLAUSTER_* variables still apply.\n"
    "schema_version: 1\n"
    "projects_root: ~/projects\n";

/// `~` expanded with the request's HOME, then made absolute against working_dir.
fs::path resolve_request_path(const fs::path& p, const config_request& request) {
    fs::path out = p;
    const std::string text = p.string();
    if (text == "~" || text.starts_with("~/")) {
        if (auto home = get_env(request.env, "HOME"); home && !home->empty()) out = expand_user(text, *home);
    }
    if (out.is_relative() && !request.working_dir.empty()) out = request.working_dir / out;
    return out;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

}  // namespace

//------------------------------------------------------------------------------

std::string config_error::message() const {
    return key + ": " + why;
}

void throw_exception_from_error(const config_error& e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(make_error_code(errc::invalid_argument), e.message()), loc);
}

std::string_view embedded_default_config() {
    return embedded_yaml;
}

boost::system::result<std::optional<fs::path>, config_error> find_config_file(const config_request& request) {
    // 1. -c/--config: must exist.
    if (request.explicit_path && !request.explicit_path->empty()) {
        const fs::path p = resolve_request_path(*request.explicit_path, request);
        if (!path_exists(p)) return config_error{"config", "file not found: " + p.string()};
        return std::optional<fs::path>(p);
    }
    // 2. $CLAUSTER_CONFIG: must exist too (an empty value counts as unset).
    if (auto named = get_env(request.env, "CLAUSTER_CONFIG"); named && !named->empty()) {
        const fs::path p = resolve_request_path(*named, request);
        if (!path_exists(p)) return config_error{"config", "file not found: " + p.string() + " (from CLAUSTER_CONFIG)"};
        return std::optional<fs::path>(p);
    }
    // 3. ./clauster.yml in the working directory.
    if (const fs::path p = resolve_request_path("clauster.yml", request); path_exists(p))
        return std::optional<fs::path>(p);
    // 4. $CLAUSTER_HOME/clauster.yml.
    if (auto home = get_env(request.env, "CLAUSTER_HOME"); home && !home->empty()) {
        if (const fs::path p = resolve_request_path(fs::path(*home) / "clauster.yml", request); path_exists(p))
            return std::optional<fs::path>(p);
    }
    // 5. The embedded defaults.
    return std::optional<fs::path>();
}

boost::system::result<config, config_error> load_config(const config_request& request) {
    try {
        auto found = find_config_file(request);
        if (!found) return found.error();
        const std::optional<fs::path>& source = *found;

        std::string text;
        if (source) {
            auto content = detail::read_file_capped(*source, detail::max_config_bytes);
            if (!content)
                return config_error{"config", "cannot read " + source->string() + ": " + content.error().reason};
            text = std::move(*content);
        } else {
            text = std::string(embedded_default_config());
        }

        const detail::parse_options options{request.working_dir};
        auto cfg = detail::parse_config_text(text, request.env, options);
        if (!cfg) return cfg.error();
        cfg->source = source;

        // A fresh machine comes up on the embedded defaults: make the projects
        // directory rather than refuse it (only when missing: an existing one
        // keeps its mode).
        if (!source && !path_exists(cfg->projects_root)) {
            if (auto made = ensure_private_dir(cfg->projects_root); !made)
                return config_error{"projects_root", made.error().message};
        }
        if (auto ok = detail::check_config_paths(*cfg); !ok) return ok.error();
        return cfg;
    } catch (const std::exception&) {
        // Only allocation failures and the like can land here: report, never crash.
        return config_error{"config", "unexpected error while loading the configuration"};
    }
}

}  // namespace clauster::core
