#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace clauster::core {

/// A named API token as stored: never the raw secret, only its SHA-256 hex.
struct api_token {
    std::int64_t id = 0;
    std::string label;
    std::string token_hash;
    std::chrono::system_clock::time_point created_at;
    std::chrono::system_clock::time_point updated_at;
    std::optional<std::chrono::system_clock::time_point> last_used_at;
};

}  // namespace clauster::core
