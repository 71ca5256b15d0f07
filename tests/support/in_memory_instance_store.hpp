#pragma once

#include <clauster/core/instance_store.hpp>

#include <algorithm>
#include <vector>

namespace clauster::test {

/// An instance_store kept in a vector, for core tests without SQLite. Like the
/// real store it keeps only durable fields: runtime fields read back empty.
class in_memory_instance_store final : public core::instance_store {
public:
    core::result<void> upsert(const core::instance& inst) override {
        core::instance row = durable(inst);
        for (auto& r : rows)
            if (r.instance_id == inst.instance_id) {
                row.created_at = r.created_at;
                r = std::move(row);
                return {};
            }
        rows.push_back(std::move(row));
        return {};
    }
    core::result<std::vector<core::instance>> list() override { return rows; }
    core::result<std::optional<core::instance>> find(std::string_view id) override {
        for (const auto& r : rows)
            if (r.instance_id == id) return std::optional<core::instance>(r);
        return std::optional<core::instance>();
    }
    core::result<void> remove(std::string_view id) override {
        const auto before = rows.size();
        std::erase_if(rows, [&](const core::instance& r) { return r.instance_id == id; });
        if (rows.size() == before) return core::make_error_code(core::errc::not_found);
        return {};
    }
    core::result<void> set_intentional_stop(std::string_view id, bool value) override {
        for (auto& r : rows)
            if (r.instance_id == id) {
                r.intentional_stop = value;
                return {};
            }
        return core::make_error_code(core::errc::not_found);
    }

    static core::instance durable(const core::instance& inst) {
        core::instance row = inst;
        row.status = core::instance_status::stopped;
        row.bridge_id.reset();
        row.environment_id.reset();
        row.starter_session_id.reset();
        row.url.reset();
        row.error_detail.reset();
        row.notice.reset();
        row.claude_version.reset();
        return row;
    }

    std::vector<core::instance> rows;
};

}  // namespace clauster::test
