// The rules of SM partitioning that need no GPU: which ranges of SM groups a device creates ahead of time,
// and whether the driver's split of the SMs has the layout the scheduler assumes
// (device/cuda/green_partitions.h applies them; CPU tests pin them).
//
// The scheduler hands out contiguous ranges of groups [begin, end): a BE side [0, k), an LS side [k, n) and
// the whole GPU [0, n). Those 2(n - 1) + 1 ranges (33 on the H200) are the ones with a green context.
#pragma once

#include <vector>

#include "core/status.h"

namespace missile::device {

struct GroupSpan {
  int begin = 0;
  int end = 0;
  bool operator==(const GroupSpan&) const = default;
};

// Every prefix [0, k) and suffix [k, n) for k = 1 .. n - 1, then the whole [0, n). `groups` >= 1.
std::vector<GroupSpan> PrecreatedSpans(int groups);

// Ok when [begin, end) is one of PrecreatedSpans(groups); otherwise kInvalidArgument saying why.
Status CheckPrecreatedSpan(int groups, int begin, int end);

// What the driver's split of the SMs gave: `full_groups` groups of exactly `sms_per_group` (one entry per
// group, as the driver reported them) and a remainder of `remainder_sms`.
struct DriverSmSplit {
  int sms = 0;  // the device's SMs before the split
  int sms_per_group = 0;
  std::vector<int> group_sms;
  int remainder_sms = 0;
};

// Ok when the split is the layout the scheduler assumes (sched::GpuLayout): floor(sms / per_group) groups
// of per_group and the rest in one last group. A driver that splits otherwise (fewer groups because of
// cluster constraints, groups of another size) gets kUnavailable with what it did.
Status CheckSplitMatchesLayout(const DriverSmSplit& split);

// Ok when `sms_per_group` is a granularity the device accepts: at least its minimum partition size and a
// multiple of its co-scheduling alignment (8 and 8 on Hopper).
Status CheckGroupSize(int sms_per_group, int min_partition_sms, int alignment_sms);

}  // namespace missile::device
