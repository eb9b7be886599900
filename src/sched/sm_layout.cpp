#include "sched/sm_layout.h"

#include <fmt/format.h>

#include <algorithm>

namespace missile::sched {

std::string GroupRange::ToString() const {
  return fmt::format("[{},{})", begin, end);
}

int GpuLayout::SmsInGroup(int group) const {
  if (group < 0 || group >= groups()) return 0;
  return std::min(sms_per_group, sms - group * sms_per_group);
}

int GpuLayout::SmsIn(const GroupRange& range) const {
  const int begin = std::clamp(range.begin, 0, groups());
  const int end = std::clamp(range.end, begin, groups());
  if (end == begin) return 0;
  // Every group before the last is full; the last group of the GPU may be partial.
  return std::min(end * sms_per_group, sms) - begin * sms_per_group;
}

}  // namespace missile::sched
