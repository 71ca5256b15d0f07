#pragma once

#include <clauster/core/token_store.hpp>

#include <algorithm>
#include <vector>

namespace clauster::test {

/// A token_store kept in a vector, for core tests that need no SQLite.
class in_memory_token_store final : public core::token_store {
public:
    core::result<core::api_token> insert(std::string_view label, std::string_view hash, time_point now) override {
        for (const auto& t : rows)
            if (t.label == label || t.token_hash == hash) return core::make_error_code(core::errc::already_exists);
        rows.push_back({next_id++, std::string(label), std::string(hash), now, now, std::nullopt});
        return rows.back();
    }
    core::result<std::vector<core::api_token>> list() override { return rows; }
    core::result<std::optional<core::api_token>> find_by_hash(std::string_view hash) override {
        ++lookups;
        for (const auto& t : rows)
            if (t.token_hash == hash) return std::optional<core::api_token>(t);
        return std::optional<core::api_token>();
    }
    core::result<core::api_token> replace_hash(std::string_view label, std::string_view hash, time_point now) override {
        for (auto& t : rows)
            if (t.label == label) {
                t.token_hash = hash;
                t.updated_at = now;
                return t;
            }
        return core::make_error_code(core::errc::not_found);
    }
    core::result<void> remove(std::string_view label) override {
        const auto before = rows.size();
        std::erase_if(rows, [&](const core::api_token& t) { return t.label == label; });
        if (rows.size() == before) return core::make_error_code(core::errc::not_found);
        return {};
    }
    core::result<void> touch(std::int64_t id, time_point now) override {
        for (auto& t : rows)
            if (t.id == id) t.last_used_at = now;
        return {};
    }

    std::vector<core::api_token> rows;
    std::int64_t next_id = 1;
    int lookups = 0;
};

/// A clock that only moves when told to.
class fake_clock final : public core::clock {
public:
    time_point now() const override { return current; }
    time_point current = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours{4};
};

}  // namespace clauster::test
