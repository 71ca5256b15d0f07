#pragma once

// Private to libcore: the one table of every clauster.yml leaf (spec §5).
//
// The table drives the `CLAUSTER_*` environment overlay and the unknown-key
// warnings; the typed parser (config_parser.cpp) reads the same keys from the
// tree. It holds no yaml-cpp type, so tests may include it.

#include <clauster/core/environment.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {
struct config_error;
}

namespace clauster::core::detail {

struct config_node;

/// How a leaf is written and whether it has an environment form.
enum class leaf_kind : unsigned char {
    scalar,  ///< `CLAUSTER_A_B` holds the value
    list,    ///< `CLAUSTER_A_B` holds comma-separated entries
    dict,    ///< a mapping with free keys; no environment form
};

struct config_leaf {
    std::string_view key;  ///< dotted, e.g. `auth.reverse_proxy.trusted_ips`
    leaf_kind kind;
};

/// Every leaf of the schema, in documentation order (deprecated aliases included).
std::span<const config_leaf> config_leaves();

/// `CLAUSTER_` + the key upper-cased with dots turned into underscores.
std::string env_name_for(std::string_view key);

/// True when @p key is a section (a strict prefix of some leaf), such as `auth`.
bool is_config_section(std::string_view key);

/// Splits an environment list value on commas, trimming spaces and dropping
/// empty entries.
std::vector<std::string> split_env_list(std::string_view value);

/// Why read_file_capped failed: errno text, "not a regular file" or "too
/// large"; never any of the content.
struct read_failure {
    std::string reason;
};

/// Reads a whole regular file of at most @p max_bytes.
boost::system::result<std::string, read_failure> read_file_capped(const std::filesystem::path& path,
                                                                  std::size_t max_bytes);

/// Writes every `CLAUSTER_<KEY>` / `CLAUSTER_<KEY>_FILE` of @p env into @p root
/// (a mapping or null), creating sections as needed. `*_FILE` wins over the
/// plain variable; its content loses trailing whitespace.
///
/// @par Errors
/// An unreadable `*_FILE` (key = the dotted key; the reason names the variable,
/// never the content), or a section that is not a mapping.
boost::system::result<void, config_error> apply_env_overrides(config_node& root, const environment& env);

/// Appends a warning for every key of @p root that the schema does not know.
/// Dict leaves are not descended into (their owners check them).
void collect_unknown_keys(const config_node& root, std::vector<std::string>& warnings);

}  // namespace clauster::core::detail
