#pragma once

#include <filesystem>
#include <string_view>

namespace clauster::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
public:
    explicit temp_dir(std::string_view tag = "clauster-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view child) const { return path_ / child; }

private:
    std::filesystem::path path_;
};

/// Writes @p content to @p path, creating parent directories.
void write_file(const std::filesystem::path& path, std::string_view content);

/// Reads a whole file ("" when missing).
std::string read_file(const std::filesystem::path& path);

/// Permission bits of @p path (e.g. 0700).
unsigned mode_of(const std::filesystem::path& path);

}  // namespace clauster::test
