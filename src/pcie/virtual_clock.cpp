#include "pcie/virtual_clock.h"

#include <algorithm>

namespace missile::pcie {

void VirtualClock::At(Nanos when, std::function<void()> action) {
  events_.push_back({std::max(when, now_), next_sequence_++, std::move(action)});
  std::push_heap(events_.begin(), events_.end(), RunsLater);
}

void VirtualClock::RunUntil(Nanos deadline) {
  while (!events_.empty() && events_.front().when <= deadline) RunNext();
  now_ = std::max(now_, deadline);
}

void VirtualClock::RunUntilIdle() {
  while (!events_.empty()) RunNext();
}

void VirtualClock::RunNext() {
  std::pop_heap(events_.begin(), events_.end(), RunsLater);
  Event event = std::move(events_.back());
  events_.pop_back();
  now_ = event.when;
  event.action();
}

}  // namespace missile::pcie
