#include "support/json_schema.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <regex>

namespace clauster::test {

namespace json = boost::json;

namespace {

bool has_type(const json::value& v, std::string_view type) {
    if (type == "null") return v.is_null();
    if (type == "boolean") return v.is_bool();
    if (type == "string") return v.is_string();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "number") return v.is_number();
    if (type == "integer") {
        if (v.is_int64() || v.is_uint64()) return true;
        if (!v.is_double()) return false;
        const double d = v.get_double();
        return d == static_cast<double>(static_cast<long long>(d));
    }
    return false;
}

}  // namespace

const std::set<std::string, std::less<>>& schema_checked_keywords() {
    static const std::set<std::string, std::less<>> keywords{
        "$ref",  "type",      "enum",      "const",   "required", "properties", "additionalProperties",
        "items", "minLength", "maxLength", "pattern",
    };
    return keywords;
}

const std::set<std::string, std::less<>>& schema_annotation_keywords() {
    static const std::set<std::string, std::less<>> keywords{"description", "format", "title"};
    return keywords;
}

schema_validator::schema_validator(json::object schemas) : schemas_(std::move(schemas)) {}

std::vector<std::string> schema_validator::validate(const json::value& schema, const json::value& v) const {
    std::vector<std::string> errors;
    check(schema, v, "$", errors);
    return errors;
}

std::vector<std::string> schema_validator::lint(const json::value& schema, const std::string& where) const {
    std::vector<std::string> errors;
    lint_into(schema, where, errors);
    return errors;
}

const json::value* schema_validator::resolve(std::string_view ref) const {
    constexpr std::string_view prefix = "#/components/schemas/";
    if (!ref.starts_with(prefix)) return nullptr;
    return schemas_.if_contains(ref.substr(prefix.size()));
}

void schema_validator::check(const json::value& schema, const json::value& v, const std::string& at,
                             std::vector<std::string>& errors) const {
    if (!schema.is_object()) {
        errors.push_back(at + ": schema is not an object");
        return;
    }
    const auto& s = schema.as_object();
    if (const auto* ref = s.if_contains("$ref")) {
        const auto* target = ref->is_string() ? resolve(ref->get_string()) : nullptr;
        if (target == nullptr) errors.push_back(at + ": unresolved $ref " + json::serialize(*ref));
        else check(*target, v, at, errors);
    }
    if (const auto* type = s.if_contains("type")) {
        bool ok = false;
        if (type->is_string()) ok = has_type(v, type->get_string());
        else
            for (const auto& t : type->as_array()) ok = ok || has_type(v, t.as_string());
        if (!ok) {
            errors.push_back(at + ": expected type " + json::serialize(*type) + ", got " + json::serialize(v));
            return;
        }
    }
    if (const auto* e = s.if_contains("enum")) {
        const auto& values = e->as_array();
        if (std::find(values.begin(), values.end(), v) == values.end())
            errors.push_back(at + ": " + json::serialize(v) + " not in enum " + json::serialize(*e));
    }
    if (const auto* c = s.if_contains("const"); c != nullptr && *c != v)
        errors.push_back(at + ": expected const " + json::serialize(*c) + ", got " + json::serialize(v));
    if (v.is_string()) {
        const auto len = v.get_string().size();  // bytes: exact for the ASCII our tests send
        if (const auto* m = s.if_contains("minLength"); m != nullptr && len < m->to_number<std::size_t>())
            errors.push_back(at + ": shorter than minLength");
        if (const auto* m = s.if_contains("maxLength"); m != nullptr && len > m->to_number<std::size_t>())
            errors.push_back(at + ": longer than maxLength");
        if (const auto* p = s.if_contains("pattern")) {
            const std::regex re(std::string(p->as_string()));
            if (!std::regex_search(std::string(v.get_string()), re))
                errors.push_back(at + ": does not match " + json::serialize(*p));
        }
    }
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (const auto* req = s.if_contains("required"))
            for (const auto& k : req->as_array())
                if (!o.contains(k.as_string())) errors.push_back(at + ": missing required " + json::serialize(k));
        const auto* props = s.if_contains("properties");
        const auto* extra = s.if_contains("additionalProperties");
        for (const auto& kv : o) {
            const std::string child = at + "." + std::string(kv.key());
            const json::value* sub = props != nullptr ? props->as_object().if_contains(kv.key()) : nullptr;
            if (sub != nullptr) check(*sub, kv.value(), child, errors);
            else if (extra != nullptr && extra->is_bool() && !extra->get_bool())
                errors.push_back(child + ": not allowed");
            else if (extra != nullptr && extra->is_object())
                check(*extra, kv.value(), child, errors);
        }
    }
    if (v.is_array()) {
        if (const auto* items = s.if_contains("items")) {
            std::size_t i = 0;
            for (const auto& el : v.get_array()) check(*items, el, at + "[" + std::to_string(i++) + "]", errors);
        }
    }
}

void schema_validator::lint_into(const json::value& schema, const std::string& where,
                                 std::vector<std::string>& errors) const {
    if (!schema.is_object()) {
        errors.push_back(where + ": not an object");
        return;
    }
    for (const auto& kv : schema.get_object()) {
        const auto key = kv.key();
        if (!schema_checked_keywords().contains(key) && !schema_annotation_keywords().contains(key))
            errors.push_back(where + ": keyword " + std::string(key) + " is not checked by this validator");
        if (key == "$ref" && (!kv.value().is_string() || resolve(kv.value().get_string()) == nullptr))
            errors.push_back(where + ": unresolved $ref " + json::serialize(kv.value()));
        if (key == "properties")
            for (const auto& p : kv.value().as_object())
                lint_into(p.value(), where + ".properties." + std::string(p.key()), errors);
        if ((key == "items" || key == "additionalProperties") && kv.value().is_object())
            lint_into(kv.value(), where + "." + std::string(key), errors);
    }
}

}  // namespace clauster::test
