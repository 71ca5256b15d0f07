#pragma once

#include <chrono>

namespace clauster::core {

/// Wall-clock time source, injected so tests can pin "now".
///
/// @par Thread safety
/// Implementations must be safe to call from any thread.
class clock {
public:
    using time_point = std::chrono::system_clock::time_point;

    virtual ~clock() = default;

    /// @return the current wall-clock time.
    virtual time_point now() const = 0;
};

/// The real clock, backed by std::chrono::system_clock.
class system_clock final : public clock {
public:
    time_point now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace clauster::core
