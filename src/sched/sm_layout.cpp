#include "sched/sm_layout.h"

#include <fmt/format.h>

#include <algorithm>

namespace missile::sched {

std::string GroupRange::ToString() const {
  return fmt::format("[{},{})", begin, end);
}

int GpuLayout::SmsInGroup(int group) const {
  const int n = groups();
  if (group < 0 || group >= n) return 0;
  return group + 1 < n ? sms_per_group : sms - (n - 1) * sms_per_group;
}

int GpuLayout::SmsIn(const GroupRange& range) const {
  const int n = groups();
  const int begin = std::clamp(range.begin, 0, n);
  const int end = std::clamp(range.end, begin, n);
  if (end == begin) return 0;
  // Every group before the last is full; the last one holds the rest.
  return (end - begin) * sms_per_group + (end == n ? SmsInGroup(n - 1) - sms_per_group : 0);
}

std::string GpuLayout::ToString() const {
  const int n = groups();
  const int last = SmsInGroup(n - 1);
  if (last == sms_per_group) return fmt::format("{} SMs: {} groups of {}", sms, n, sms_per_group);
  return fmt::format("{} SMs: {} groups of {} + 1 of {}", sms, n - 1, sms_per_group, last);
}

}  // namespace missile::sched
