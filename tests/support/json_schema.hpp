#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::test {

/// The JSON Schema keywords @ref schema_validator checks.
const std::set<std::string, std::less<>>& schema_checked_keywords();

/// The keywords it accepts and ignores (they assert nothing).
const std::set<std::string, std::less<>>& schema_annotation_keywords();

/// A minimal JSON Schema (2020-12) validator for the OpenAPI document's schemas.
///
/// It checks the keywords our schemas use (@ref schema_checked_keywords: `$ref`
/// into `#/components/schemas/`, `type`, `enum`, `const`, `required`,
/// `properties`, `additionalProperties`, `items`, `minLength`, `maxLength`,
/// `pattern`), and @ref lint reports any other keyword, so a schema cannot
/// silently say more than the tests check.
class schema_validator {
public:
    /// @param schemas the document's `components.schemas` (copied).
    explicit schema_validator(boost::json::object schemas);

    /// Empty when @p v conforms to @p schema, else one `<where>: <why>` per failure
    /// (`<where>` is a path such as `$[0].status`).
    std::vector<std::string> validate(const boost::json::value& schema, const boost::json::value& v) const;

    /// Failures of @p schema itself (named @p where in the messages): keywords
    /// this validator does not check, and `$ref`s that do not resolve.
    std::vector<std::string> lint(const boost::json::value& schema, const std::string& where) const;

private:
    const boost::json::value* resolve(std::string_view ref) const;
    void check(const boost::json::value& schema, const boost::json::value& v, const std::string& at,
               std::vector<std::string>& errors) const;
    void lint_into(const boost::json::value& schema, const std::string& where, std::vector<std::string>& errors) const;

    boost::json::object schemas_;
};

}  // namespace clauster::test
