#include <clauster/core/secure_fs.hpp>

#include "text_io.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

failure os_failure(std::string_view what, const fs::path& p, int err) {
    return make_failure(errc::invalid_state, std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

using detail::write_all;

}  // namespace

outcome<void> ensure_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_failure(errc::invalid_state, "cannot create " + dir.string() + ": " + ec.message());
    struct stat st{};
    if (::lstat(dir.c_str(), &st) != 0) return os_failure("cannot stat", dir, errno);
    if (S_ISLNK(st.st_mode)) {
        // A symlinked state dir is allowed only when its target is a directory we own.
        if (::stat(dir.c_str(), &st) != 0) return os_failure("cannot stat", dir, errno);
    }
    if (!S_ISDIR(st.st_mode)) return make_failure(errc::invalid_state, dir.string() + " is not a directory");
    if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
        return os_failure("cannot make private (chmod 0700)", dir, errno);
    return {};
}

outcome<void> write_private_file_atomic(const fs::path& path, std::string_view content) {
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return os_failure("cannot create a temp file in", dir, errno);
    const bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(tmpl.c_str());
        return os_failure("cannot write", path, err);
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int rename_err = errno;
        ::unlink(tmpl.c_str());
        return os_failure("cannot replace", path, rename_err);
    }
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

fs::path expand_user(std::string_view path, std::string_view home) {
    if (path == "~") return fs::path(home);
    if (path.starts_with("~/")) return fs::path(home) / std::string(path.substr(2));
    return fs::path(std::string(path));
}

}  // namespace clauster::core
