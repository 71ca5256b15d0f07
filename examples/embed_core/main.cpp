// Embedding libcore: plug your own token storage into clauster's token service
// and use the same configuration parser clausterd uses.
#include <clauster/core/config_loader.hpp>
#include <clauster/core/token_service.hpp>
#include <clauster/core/version.hpp>

#include <iostream>
#include <vector>

namespace {

/// The smallest token_store: a vector. A real embedder would use its own database.
class vector_token_store final : public clauster::core::token_store {
public:
    clauster::core::result<clauster::core::api_token> insert(std::string_view label, std::string_view hash,
                                                             time_point now) override {
        rows_.push_back({static_cast<std::int64_t>(rows_.size() + 1), std::string(label), std::string(hash), now, now, {}});
        return rows_.back();
    }
    clauster::core::result<std::vector<clauster::core::api_token>> list() override { return rows_; }
    clauster::core::result<std::optional<clauster::core::api_token>> find_by_hash(std::string_view hash) override {
        for (const auto& row : rows_)
            if (row.token_hash == hash) return std::optional<clauster::core::api_token>(row);
        return std::optional<clauster::core::api_token>();
    }
    clauster::core::result<clauster::core::api_token> replace_hash(std::string_view, std::string_view, time_point) override {
        return clauster::core::make_error_code(clauster::core::errc::not_found);
    }
    clauster::core::result<void> remove(std::string_view) override { return {}; }
    clauster::core::result<void> touch(std::int64_t, time_point) override { return {}; }

private:
    std::vector<clauster::core::api_token> rows_;
};

}  // namespace

int main() {
    // Parse a configuration from text, with an environment override, without touching disk.
    auto cfg = clauster::core::parse_config("projects_root: /tmp\nport: 8080\n", {{"CLAUSTER_PORT", "9090"}},
                                            /*check_paths=*/false);
    if (!cfg) {
        std::cerr << "config error: " << cfg.error().message() << '\n';
        return 1;
    }

    vector_token_store store;
    clauster::core::system_clock clock;
    clauster::core::token_service tokens(store, clock);
    auto issued = tokens.issue("embedded");
    if (!issued || !tokens.verify(issued->raw)) {
        std::cerr << "token round trip failed\n";
        return 1;
    }
    std::cout << "clauster " << clauster::core::version << " embedded: port " << cfg->port
              << ", token '" << issued->record.label << "' verified\n";
    return cfg->port == 9090 ? 0 : 1;
}
