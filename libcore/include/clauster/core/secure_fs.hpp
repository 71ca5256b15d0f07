#pragma once

#include <clauster/core/error.hpp>

#include <filesystem>
#include <string_view>

namespace clauster::core {

/// Creates @p dir (and parents) and forces its mode to 0700, even when it existed.
///
/// @par Errors
/// `invalid_state` when the path is not a directory or its mode cannot be set
/// (fail closed: a private directory we cannot make private is not used).
outcome<void> ensure_private_dir(const std::filesystem::path& dir);

/// Writes @p content to @p path atomically with mode 0600: a unique temp file in
/// the same directory, fsync, rename, fsync of the directory.
outcome<void> write_private_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Expands a leading `~` or `~/` using @p home.
std::filesystem::path expand_user(std::string_view path, std::string_view home);

}  // namespace clauster::core
