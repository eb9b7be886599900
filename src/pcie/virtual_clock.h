// A discrete-event clock: time stands still until the next event runs, then jumps to it. Events at the same
// instant run in the order they were scheduled, so a run replays identically. Single-threaded: everything
// that touches the clock runs on the thread that drives it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "pcie/clock.h"

namespace missile::pcie {

class VirtualClock final : public Clock {
 public:
  Nanos Now() const override { return now_; }

  // Runs `action` at `when` (or now, if `when` has passed).
  void At(Nanos when, std::function<void()> action);
  void After(Nanos delay, std::function<void()> action) { At(now_ + delay, std::move(action)); }

  // Runs every event due by `deadline` (including those they schedule), then sets the time to `deadline`.
  void RunUntil(Nanos deadline);
  // Runs events until none is left.
  void RunUntilIdle();
  size_t pending_events() const { return events_.size(); }

 private:
  struct Event {
    Nanos when;
    uint64_t sequence;
    std::function<void()> action;
  };
  // Heap order: the earliest event, then the earliest scheduled, on top.
  static bool RunsLater(const Event& a, const Event& b) {
    return a.when != b.when ? a.when > b.when : a.sequence > b.sequence;
  }
  void RunNext();

  Nanos now_{0};
  uint64_t next_sequence_ = 0;
  std::vector<Event> events_;
};

}  // namespace missile::pcie
