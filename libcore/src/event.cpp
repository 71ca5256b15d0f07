#include <clauster/core/event.hpp>

#include <algorithm>

namespace clauster::core {

event_journal::event_journal(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

void event_journal::publish(event e) {
    e.seq = next_seq_++;
    if (e.at == std::chrono::system_clock::time_point{}) e.at = std::chrono::system_clock::now();
    kept_.push_back(e);
    while (kept_.size() > capacity_) kept_.pop_front();
    for (const auto& s : subscribers_) s(kept_.back());
}

void event_journal::subscribe(std::function<void(const event&)> on_event) {
    subscribers_.push_back(std::move(on_event));
}

event_journal::page event_journal::since(std::uint64_t after_seq, std::size_t limit) const {
    page out;
    out.last_seq = next_seq_ - 1;
    const std::uint64_t oldest = kept_.empty() ? next_seq_ : kept_.front().seq;
    // Missed: events after the reader's seq were evicted, or its seq is from
    // an earlier server run (numbering restarts with the process).
    out.gap = (after_seq + 1 < oldest && after_seq < out.last_seq) || after_seq > out.last_seq;
    for (const auto& e : kept_) {
        if (e.seq <= after_seq) continue;
        if (out.events.size() >= limit) break;
        out.events.push_back(e);
    }
    return out;
}

}  // namespace clauster::core
