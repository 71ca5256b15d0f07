#pragma once

// Private to libcore: the YAML document as plain data, between the text and
// the typed `config`. Environment overrides are applied to this tree, so the
// typed parser sees one source and its errors name the dotted key either way.

#include <clauster/core/config_loader.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clauster::core::detail {

/// Largest configuration text accepted (file or string), in bytes.
inline constexpr std::size_t max_config_bytes = std::size_t{1} << 20;
/// Most YAML nodes (scalars, nulls, collections) in one document.
inline constexpr std::size_t max_config_nodes = 50'000;
/// Deepest nesting of collections in one document.
inline constexpr std::size_t max_config_depth = 64;

/// One YAML node. A mapping keeps its entries in document order.
struct config_node {
    enum class kind : unsigned char { null, scalar, sequence, mapping };

    kind type = kind::null;
    /// Scalar text as written (quotes removed).
    std::string text;
    /// True for an unquoted, untagged scalar: only those resolve as YAML 1.1
    /// booleans and nulls (`off`, `~`), as the reference's PyYAML does.
    bool plain = false;
    /// Name of the environment variable the value came from; empty for the file.
    std::string origin;
    std::vector<config_node> items;
    std::vector<std::pair<std::string, config_node>> entries;

    bool is_null() const { return type == kind::null; }
    bool is_scalar() const { return type == kind::scalar; }
    bool is_sequence() const { return type == kind::sequence; }
    bool is_mapping() const { return type == kind::mapping; }

    /// Entry @p key of a mapping; nullptr when absent or not a mapping.
    const config_node* find(std::string_view key) const;
    config_node* find(std::string_view key);

    static config_node make_scalar(std::string text, std::string origin = {});
    static config_node make_mapping();
};

/// Parses @p text into a tree without ever expanding an alias.
///
/// Refuses anchors and aliases (the billion-laughs family), more than one
/// document, non-string mapping keys, duplicate keys, texts over
/// @ref max_config_bytes, and documents over the node or depth caps. An empty
/// document yields a null root. Never throws for malformed input.
boost::system::result<config_node, config_error> read_yaml_tree(std::string_view text);

}  // namespace clauster::core::detail
