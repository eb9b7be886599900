#include "device/sm_partitions.h"

#include <fmt/ranges.h>

namespace missile::device {

std::vector<GroupSpan> PrecreatedSpans(int groups) {
  std::vector<GroupSpan> spans;
  for (int k = 1; k < groups; ++k) {
    spans.push_back({0, k});
    spans.push_back({k, groups});
  }
  if (groups >= 1) spans.push_back({0, groups});
  return spans;
}

Status CheckPrecreatedSpan(int groups, int begin, int end) {
  if (begin < 0 || end > groups || begin >= end) {
    return Error(ErrorCode::kInvalidArgument, "SM group range [{},{}) is empty or outside the {} groups",
                 begin, end, groups);
  }
  if (begin != 0 && end != groups) {
    return Error(ErrorCode::kInvalidArgument,
                 "SM group range [{},{}) is neither a prefix [0,k) nor a suffix [k,{}): no partition is made "
                 "for it",
                 begin, end, groups);
  }
  return Status::Ok();
}

Status CheckSplitGroups(const DriverSmSplit& split) {
  if (split.sms <= 0 || split.sms_per_group <= 0) {
    return Error(ErrorCode::kInvalidArgument, "SM split of {} SMs in groups of {}", split.sms,
                 split.sms_per_group);
  }
  int total = split.remainder_sms;
  bool sizes_ok = !split.group_sms.empty();
  for (int sms : split.group_sms) {
    sizes_ok = sizes_ok && sms == split.sms_per_group;
    total += sms;
  }
  if (!sizes_ok || total != split.sms) {
    return Error(ErrorCode::kUnavailable,
                 "the driver split {} SMs into groups of [{}] SMs and {} left over, not groups of {} each",
                 split.sms, fmt::join(split.group_sms, ", "), split.remainder_sms, split.sms_per_group);
  }
  return Status::Ok();
}

Status CheckGroupSize(int sms_per_group, int min_partition_sms, int alignment_sms) {
  if (sms_per_group <= 0 || sms_per_group < min_partition_sms ||
      (alignment_sms > 0 && sms_per_group % alignment_sms != 0)) {
    return Error(ErrorCode::kInvalidArgument,
                 "groups of {} SMs: this device partitions SMs in groups of at least {} and multiples of {}",
                 sms_per_group, min_partition_sms, alignment_sms);
  }
  return Status::Ok();
}

}  // namespace missile::device
