#include "config_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <optional>
#include <sstream>

namespace clauster::core::detail {

//------------------------------------------------------------------------------

const config_node* config_node::find(std::string_view key) const {
    if (type != kind::mapping) return nullptr;
    for (const auto& [k, v] : entries)
        if (k == key) return &v;
    return nullptr;
}

config_node* config_node::find(std::string_view key) {
    return const_cast<config_node*>(std::as_const(*this).find(key));
}

config_node config_node::make_scalar(std::string text, std::string origin) {
    config_node n;
    n.type = kind::scalar;
    n.text = std::move(text);
    n.origin = std::move(origin);
    return n;
}

config_node config_node::make_mapping() {
    config_node n;
    n.type = kind::mapping;
    return n;
}

//------------------------------------------------------------------------------

namespace {

/// Thrown from inside the event handler to abort the yaml-cpp parser; caught
/// in read_yaml_tree, never escapes this file.
struct tree_refused {
    config_error error;
};

/// Builds a config_node tree from parser events.
///
/// yaml-cpp reports an alias as a single event (the expansion happens only in
/// its NodeBuilder, which we never use), so refusing here costs nothing even
/// for a billion-laughs document: the parse stops at the first anchor.
class tree_builder final : public YAML::EventHandler {
public:
    std::optional<config_node> root;
    int documents = 0;

    void OnDocumentStart(const YAML::Mark&) override {
        if (++documents > 1) refuse("config", "multiple YAML documents are not supported");
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
        check_anchor(anchor);
        count();
        add(config_node{});
    }

    void OnAlias(const YAML::Mark&, YAML::anchor_t) override { refuse_alias(); }

    void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
        check_anchor(anchor);
        count();
        config_node n = config_node::make_scalar(value);
        // yaml-cpp tags an unquoted scalar "?" and a quoted one "!"; anything
        // else is an explicit tag, which makes the scalar a plain string.
        n.plain = tag == "?";
        // An unquoted `~`, `null` or empty scalar is YAML's null.
        if (n.plain && (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL"))
            n = config_node{};
        add(std::move(n));
    }

    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        check_anchor(anchor);
        count();
        push(config_node::kind::sequence);
    }
    void OnSequenceEnd() override { pop(); }

    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
        check_anchor(anchor);
        count();
        push(config_node::kind::mapping);
    }
    void OnMapEnd() override { pop(); }

private:
    struct frame {
        config_node node;
        std::optional<std::string> pending_key;
    };
    std::vector<frame> stack_;
    std::size_t nodes_ = 0;

    [[noreturn]] static void refuse(std::string key, std::string why) {
        throw tree_refused{config_error{std::move(key), std::move(why)}};
    }
    [[noreturn]] static void refuse_alias() { refuse("config", "YAML aliases and anchors are not supported"); }
    static void check_anchor(YAML::anchor_t anchor) {
        if (anchor != YAML::NullAnchor) refuse_alias();
    }

    void count() {
        if (++nodes_ > max_config_nodes)
            refuse("config", "the document has too many nodes (the limit is " + std::to_string(max_config_nodes) + ")");
    }

    /// Dotted path of the mapping keys currently open, for error messages.
    std::string current_path() const {
        std::string path;
        for (const auto& f : stack_) {
            if (!f.node.is_mapping() || !f.pending_key) continue;
            if (!path.empty()) path += '.';
            path += *f.pending_key;
        }
        return path;
    }

    void push(config_node::kind k) {
        if (stack_.size() >= max_config_depth)
            refuse("config",
                   "the document is nested too deeply (the limit is " + std::to_string(max_config_depth) + ")");
        frame f;
        f.node.type = k;
        stack_.push_back(std::move(f));
    }

    void pop() {
        config_node done = std::move(stack_.back().node);
        stack_.pop_back();
        add(std::move(done));
    }

    void add(config_node n) {
        if (stack_.empty()) {
            root = std::move(n);
            return;
        }
        frame& top = stack_.back();
        if (top.node.is_sequence()) {
            top.node.items.push_back(std::move(n));
            return;
        }
        if (!top.pending_key) {
            if (!n.is_scalar()) {
                const std::string where = current_path();
                refuse(where.empty() ? "config" : where, "mapping keys must be strings");
            }
            if (top.node.find(n.text) != nullptr) {
                const std::string where = current_path();
                refuse(where.empty() ? n.text : where + "." + n.text, "duplicate key");
            }
            top.pending_key = std::move(n.text);
            return;
        }
        top.node.entries.emplace_back(std::move(*top.pending_key), std::move(n));
        top.pending_key.reset();
    }
};

}  // namespace

boost::system::result<config_node, config_error> read_yaml_tree(std::string_view text) {
    if (text.size() > max_config_bytes)
        return config_error{"config", "the file is too large (" + std::to_string(text.size()) +
                                          " bytes; the limit is " + std::to_string(max_config_bytes) + ")"};
    if (text.find('\0') != std::string_view::npos)
        return config_error{"config", "the file contains a NUL byte (is it binary?)"};
    try {
        std::istringstream in{std::string(text)};
        YAML::Parser parser(in);
        tree_builder builder;
        while (parser.HandleNextDocument(builder)) {
        }
        if (!builder.root) return config_node{};
        return std::move(*builder.root);
    } catch (const tree_refused& r) {
        return r.error;
    } catch (const YAML::Exception& e) {
        // e.msg is one of yaml-cpp's fixed parser messages, a few of which append
        // a fragment of the input after ": " (a bad escape, a bad version): cut it,
        // since the fragment could come from a secret. The mark locates the error.
        std::string what = e.msg.substr(0, e.msg.find(": "));
        if (e.mark.is_null()) return config_error{"config", "YAML syntax error: " + what};
        return config_error{"config", "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                                          std::to_string(e.mark.column + 1) + ": " + what};
    }
}

}  // namespace clauster::core::detail
