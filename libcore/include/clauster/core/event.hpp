#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace clauster::core {

/// One state change of the domain, as the event bus carries it (live streams,
/// webhooks and metrics build on it).
///
/// Types: `instance.<status>` when an instance reaches a status (`starting`,
/// `running`, `stopped`, `crashed`, `error`), `instance.adopted`,
/// `instance.forgotten`; `agent.dispatched`, `agent.resumed`, `agent.stopped`.
struct event {
    std::uint64_t seq = 0;  ///< assigned by the @ref event_journal: 1, 2, 3… per server run
    std::chrono::system_clock::time_point at{};
    std::string type;
    std::string subject;  ///< the instance id or the background job id
    std::string project;  ///< the project name, or the job's cwd when it is outside projects_root
    std::optional<std::string> detail;  ///< redacted free text (an error_detail, a stop outcome)
};

/// Where every state change goes (a port: the journal below, later webhooks).
class event_sink {
public:
    virtual ~event_sink() = default;
    /// Takes @p e; `seq` and `at` may be left for the sink to assign.
    virtual void publish(event e) = 0;
};

/// The in-process event bus: numbers each event (`seq`, strictly increasing),
/// keeps the last `capacity` for readers that resume from a sequence number,
/// and hands each one to the subscribers.
///
/// @par Thread safety
/// Not thread-safe; use from the io thread.
class event_journal final : public event_sink {
public:
    explicit event_journal(std::size_t capacity = 1024);

    void publish(event e) override;

    /// Calls @p on_event for every later event (after it is numbered and kept).
    void subscribe(std::function<void(const event&)> on_event);

    /// What a reader gets when it resumes.
    struct page {
        std::vector<event> events;  ///< every kept event with seq > the one asked for, oldest first
        std::uint64_t last_seq = 0;  ///< the newest seq published so far (0: none yet)
        /// True when the reader missed events: some after its seq were already
        /// evicted, or its seq is beyond the newest (it comes from an earlier
        /// server run: numbering restarts). It should re-read the state it mirrors.
        bool gap = false;
    };

    /// The events after @p after_seq (0 = everything kept), at most @p limit.
    page since(std::uint64_t after_seq, std::size_t limit = 1000) const;

private:
    std::size_t capacity_;
    std::uint64_t next_seq_ = 1;
    std::deque<event> kept_;
    std::vector<std::function<void(const event&)>> subscribers_;
};

}  // namespace clauster::core
