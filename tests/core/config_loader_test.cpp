// load_config / find_config_file: discovery order, files, the embedded
// defaults, *_FILE variables and path checks. Every test runs in its own temp
// directory with an explicit environment (never the real HOME).

#include <clauster/core/config_loader.hpp>

#include <clauster/core/config.hpp>

#include <boost/system/system_error.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace core = clauster::core;
namespace fs = std::filesystem;

namespace {

using scratch_dir = clauster::test::temp_dir;

void write_file(const fs::path& p, std::string_view content) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE(out.good());
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777u;
}

/// The layout most tests use: <tmp>/home (HOME), <tmp>/work (working dir),
/// <tmp>/projects (an existing projects_root).
struct fixture {
    scratch_dir tmp;
    fs::path home = tmp / "home";
    fs::path work = tmp / "work";
    fs::path projects = tmp / "projects";

    fixture() {
        fs::create_directories(home);
        fs::create_directories(work);
        fs::create_directories(projects);
    }

    core::config_request request() const {
        core::config_request r;
        r.env = core::environment{{"HOME", home.string()}};
        r.working_dir = work;
        return r;
    }

    /// A valid config whose port tells the tests which file was read.
    std::string yaml_with_port(int port) const {
        return "projects_root: " + projects.string() + "\nport: " + std::to_string(port) + "\n";
    }
};

}  // namespace

//------------------------------------------------------------------------------
// Discovery

TEST_CASE("config search order: -c > CLAUSTER_CONFIG > ./clauster.yml > CLAUSTER_HOME > embedded", "[core]") {
    fixture f;
    const fs::path explicit_file = f.tmp / "explicit.yml";
    const fs::path named_file = f.tmp / "named.yml";
    const fs::path local_file = f.work / "clauster.yml";
    const fs::path clauster_home = f.tmp / "chome";
    const fs::path home_file = clauster_home / "clauster.yml";
    write_file(explicit_file, f.yaml_with_port(1001));
    write_file(named_file, f.yaml_with_port(1002));
    write_file(local_file, f.yaml_with_port(1003));
    write_file(home_file, f.yaml_with_port(1004));

    auto req = f.request();
    req.explicit_path = explicit_file;
    req.env["CLAUSTER_CONFIG"] = named_file.string();
    req.env["CLAUSTER_HOME"] = clauster_home.string();

    auto expect = [](const core::config_request& r, int port, const std::optional<fs::path>& source) {
        const auto found = core::find_config_file(r);
        REQUIRE(found.has_value());
        CHECK(*found == source);
        const auto c = core::load_config(r);
        if (!c) FAIL(c.error().message());
        CHECK(c->port == port);
        CHECK(c->source == source);
    };

    expect(req, 1001, explicit_file);
    req.explicit_path.reset();
    expect(req, 1002, named_file);
    req.env.erase("CLAUSTER_CONFIG");
    expect(req, 1003, local_file);
    fs::remove(local_file);
    expect(req, 1004, home_file);
    fs::remove(home_file);
    expect(req, 7621, std::nullopt);
}

TEST_CASE("config: a missing explicit file is an error, never a fallback", "[core]") {
    fixture f;
    write_file(f.work / "clauster.yml", f.yaml_with_port(1003));  // would be found otherwise

    SECTION("-c/--config") {
        auto req = f.request();
        req.explicit_path = f.tmp / "nope.yml";
        const auto found = core::find_config_file(req);
        REQUIRE(found.has_error());
        CHECK(found.error().key == "config");
        CHECK(found.error().why == "file not found: " + (f.tmp / "nope.yml").string());
        const auto loaded = core::load_config(req);
        REQUIRE(loaded.has_error());
        CHECK(loaded.error().message() == "config: file not found: " + (f.tmp / "nope.yml").string());
    }
    SECTION("CLAUSTER_CONFIG") {
        auto req = f.request();
        req.env["CLAUSTER_CONFIG"] = (f.tmp / "nope.yml").string();
        const auto loaded = core::load_config(req);
        REQUIRE(loaded.has_error());
        CHECK(loaded.error().key == "config");
        CHECK(loaded.error().why.starts_with("file not found: " + (f.tmp / "nope.yml").string()));
    }
}

TEST_CASE("config: relative and ~ paths in discovery", "[core]") {
    fixture f;
    write_file(f.work / "sub" / "c.yml", f.yaml_with_port(2001));
    write_file(f.home / "h.yml", f.yaml_with_port(2002));

    auto req = f.request();
    req.explicit_path = fs::path("sub/c.yml");
    auto c = core::load_config(req);
    REQUIRE(c.has_value());
    CHECK(c->port == 2001);
    CHECK(c->source == f.work / "sub" / "c.yml");

    req.explicit_path.reset();
    req.env["CLAUSTER_CONFIG"] = "~/h.yml";
    c = core::load_config(req);
    REQUIRE(c.has_value());
    CHECK(c->port == 2002);
}

//------------------------------------------------------------------------------
// Embedded defaults

TEST_CASE("config: the embedded defaults create projects_root 0700 and take env overrides", "[core]") {
    fixture f;
    SECTION("projects_root defaults to ~/projects and is created") {
        const auto c = core::load_config(f.request());
        if (!c) FAIL(c.error().message());
        CHECK_FALSE(c->source);
        CHECK(c->projects_root == f.home / "projects");
        CHECK(c->state_dir == f.home / ".clauster");
        CHECK(c->port == 7621);
        CHECK(c->host == "127.0.0.1");
        REQUIRE(fs::is_directory(f.home / "projects"));
        CHECK(mode_of(f.home / "projects") == 0700u);
        CHECK(c->warnings.empty());
    }
    SECTION("environment overrides still apply") {
        auto req = f.request();
        req.env["CLAUSTER_PROJECTS_ROOT"] = (f.tmp / "elsewhere" / "p").string();
        req.env["CLAUSTER_STATE_DIR"] = (f.tmp / "state").string();
        req.env["CLAUSTER_PORT"] = "7777";
        const auto c = core::load_config(req);
        if (!c) FAIL(c.error().message());
        CHECK(c->projects_root == f.tmp / "elsewhere" / "p");
        CHECK(fs::is_directory(f.tmp / "elsewhere" / "p"));
        CHECK(c->state_dir == f.tmp / "state");
        CHECK(c->port == 7777);
        CHECK_FALSE(fs::exists(f.home / "projects"));
    }
    SECTION("an existing projects_root keeps its mode") {
        fs::create_directories(f.home / "projects");
        ::chmod((f.home / "projects").c_str(), 0755);
        REQUIRE(core::load_config(f.request()).has_value());
        CHECK(mode_of(f.home / "projects") == 0755u);
    }
    SECTION("a projects_root that is a file is refused, not replaced") {
        write_file(f.home / "projects", "not a dir");
        const auto c = core::load_config(f.request());
        REQUIRE(c.has_error());
        CHECK(c.error().key == "projects_root");
    }
    SECTION("the embedded text itself parses") {
        const auto c = core::parse_config(core::embedded_default_config(), core::environment{{"HOME", "/h"}}, false);
        REQUIRE(c.has_value());
        CHECK(c->projects_root == fs::path("/h/projects"));
    }
}

TEST_CASE("config: a file's projects_root must exist, be a directory and be readable", "[core]") {
    fixture f;
    const fs::path file = f.tmp / "c.yml";
    auto req = f.request();
    req.explicit_path = file;

    SECTION("missing") {
        write_file(file, "projects_root: " + (f.tmp / "missing").string() + "\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "projects_root");
        CHECK(c.error().why == "does not exist: " + (f.tmp / "missing").string());
        CHECK_FALSE(fs::exists(f.tmp / "missing"));  // only the embedded defaults create it
    }
    SECTION("not a directory") {
        write_file(f.tmp / "plain", "x");
        write_file(file, "projects_root: " + (f.tmp / "plain").string() + "\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().why == "is not a directory: " + (f.tmp / "plain").string());
    }
    SECTION("not readable") {
        if (::geteuid() == 0) return;  // root reads everything
        fs::create_directories(f.tmp / "locked");
        ::chmod((f.tmp / "locked").c_str(), 0);
        write_file(file, "projects_root: " + (f.tmp / "locked").string() + "\n");
        const auto c = core::load_config(req);
        ::chmod((f.tmp / "locked").c_str(), 0700);
        REQUIRE(c.has_error());
        CHECK(c.error().why == "is not readable: " + (f.tmp / "locked").string());
    }
    SECTION("relative paths are taken against the working directory") {
        fs::create_directories(f.work / "rel");
        write_file(file, "projects_root: rel\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_value());
        CHECK(c->projects_root == f.work / "rel");
    }
    SECTION("parse_config checks paths only when asked") {
        const std::string yaml = "projects_root: " + (f.tmp / "missing").string() + "\n";
        CHECK(core::parse_config(yaml, req.env, false).has_value());
        CHECK(core::parse_config(yaml, req.env, true).has_error());
    }
}

TEST_CASE("config: tls files are checked at load", "[core]") {
    fixture f;
    const fs::path file = f.tmp / "c.yml";
    auto req = f.request();
    req.explicit_path = file;
    write_file(f.tmp / "cert.pem", "cert");
    write_file(file, "projects_root: " + f.projects.string() + "\ntls:\n  cert_file: " + (f.tmp / "cert.pem").string() +
                         "\n  key_file: " + (f.tmp / "key.pem").string() + "\n");
    auto c = core::load_config(req);
    REQUIRE(c.has_error());
    CHECK(c.error().key == "tls.key_file");
    write_file(f.tmp / "key.pem", "key");
    c = core::load_config(req);
    REQUIRE(c.has_value());
    REQUIRE(c->tls);
    CHECK(c->tls->key_file == f.tmp / "key.pem");
}

//------------------------------------------------------------------------------
// Bad files

TEST_CASE("config: unreadable, huge and malformed files are config errors", "[core]") {
    fixture f;
    auto req = f.request();

    SECTION("a directory") {
        fs::create_directories(f.tmp / "dir.yml");
        req.explicit_path = f.tmp / "dir.yml";
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "config");
        CHECK(c.error().why.find("not a regular file") != std::string::npos);
    }
    SECTION("over 1 MiB") {
        req.explicit_path = f.tmp / "big.yml";
        write_file(*req.explicit_path, f.yaml_with_port(1) + "# " + std::string(2u << 20, 'x') + "\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "config");
        CHECK(c.error().why.find("too large") != std::string::npos);
    }
    SECTION("a YAML syntax error") {
        req.explicit_path = f.tmp / "bad.yml";
        write_file(*req.explicit_path, "projects_root: [\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "config");
        CHECK(c.error().why.starts_with("YAML syntax error"));
    }
    SECTION("a root that is a list") {
        req.explicit_path = f.tmp / "list.yml";
        write_file(*req.explicit_path, "- a\n");
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().message() == "config: the document root must be a mapping");
    }
    SECTION("a billion-laughs file") {
        req.explicit_path = f.tmp / "bomb.yml";
        std::string bomb = "projects_root: " + f.projects.string() + "\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n";
        char prev = 'a';
        for (char c = 'b'; c <= 'j'; ++c, ++prev) {
            bomb += std::string(1, c) + ": &" + c + " [";
            for (int i = 0; i < 9; ++i) bomb += std::string(i ? "," : "") + "*" + prev;
            bomb += "]\n";
        }
        write_file(*req.explicit_path, bomb);
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().message() == "config: YAML aliases and anchors are not supported");
    }
}

TEST_CASE("config: errors rethrow as system_error through result::value()", "[core]") {
    fixture f;
    auto req = f.request();
    req.explicit_path = f.tmp / "nope.yml";
    const auto c = core::load_config(req);
    REQUIRE(c.has_error());
    CHECK_THROWS_AS(c.value(), boost::system::system_error);
    CHECK(core::config_error{"port", "must be an integer"}.message() == "port: must be an integer");
}

//------------------------------------------------------------------------------
// *_FILE variables

TEST_CASE("config: *_FILE wins over the plain variable and loses trailing whitespace", "[core]") {
    fixture f;
    auto req = f.request();
    req.env["CLAUSTER_PROJECTS_ROOT"] = f.projects.string();
    write_file(f.tmp / "port", "8123\n");
    write_file(f.tmp / "hash", std::string(64, 'C') + " \n\t\n");
    write_file(f.tmp / "ips", "10.0.0.1, 10.0.0.2\n");
    write_file(f.tmp / "secret", "  keep leading spaces\n");
    req.env["CLAUSTER_PORT"] = "9999";
    req.env["CLAUSTER_PORT_FILE"] = (f.tmp / "port").string();
    req.env["CLAUSTER_AUTH_API_TOKEN_HASH_FILE"] = (f.tmp / "hash").string();
    req.env["CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS_FILE"] = (f.tmp / "ips").string();
    req.env["CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET_FILE"] = (f.tmp / "secret").string();

    const auto c = core::load_config(req);
    if (!c) FAIL(c.error().message());
    CHECK(c->port == 8123);
    CHECK(c->auth.api_token_hash == std::optional<std::string>(std::string(64, 'c')));
    CHECK(c->auth.reverse_proxy.trusted_ips == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
    CHECK(c->auth.reverse_proxy.shared_secret == std::optional<std::string>("  keep leading spaces"));
}

TEST_CASE("config: an unreadable *_FILE is fatal and never echoes", "[core]") {
    fixture f;
    auto req = f.request();
    req.env["CLAUSTER_PROJECTS_ROOT"] = f.projects.string();

    SECTION("missing file") {
        req.env["CLAUSTER_AUTH_PASSWORD_HASH"] = "PlainValueMarker";
        req.env["CLAUSTER_AUTH_PASSWORD_HASH_FILE"] = (f.tmp / "absent").string();
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "auth.password_hash");
        CHECK(c.error().why ==
              "cannot read the file named by CLAUSTER_AUTH_PASSWORD_HASH_FILE: No such file or directory");
        CHECK(c.error().message().find("PlainValueMarker") == std::string::npos);
    }
    SECTION("a directory") {
        fs::create_directories(f.tmp / "d");
        req.env["CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET_FILE"] = (f.tmp / "d").string();
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "auth.reverse_proxy.shared_secret");
        CHECK(c.error().why.find("CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET_FILE") != std::string::npos);
    }
    SECTION("an empty name") {
        req.env["CLAUSTER_PORT_FILE"] = "";
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "port");
    }
    SECTION("a readable file with a bad value names the variable, not the content") {
        write_file(f.tmp / "bad", "FileContentMarker\n");
        req.env["CLAUSTER_AUTH_API_TOKEN_HASH_FILE"] = (f.tmp / "bad").string();
        const auto c = core::load_config(req);
        REQUIRE(c.has_error());
        CHECK(c.error().key == "auth.api_token_hash");
        CHECK(c.error().why.find("(from CLAUSTER_AUTH_API_TOKEN_HASH_FILE)") != std::string::npos);
        CHECK(c.error().message().find("FileContentMarker") == std::string::npos);
    }
}

TEST_CASE("config: env overrides apply over a file", "[core]") {
    fixture f;
    auto req = f.request();
    req.explicit_path = f.tmp / "c.yml";
    write_file(*req.explicit_path, f.yaml_with_port(1001) + "log_level: info\n");
    req.env["CLAUSTER_LOG_LEVEL"] = "Error";
    req.env["CLAUSTER_PORT"] = "1002";
    const auto c = core::load_config(req);
    REQUIRE(c.has_value());
    CHECK(c->port == 1002);
    CHECK(c->log_level == core::log_level::error);
    CHECK(c->source == f.tmp / "c.yml");
}
