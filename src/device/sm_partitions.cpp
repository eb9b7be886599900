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

Status CheckSplitMatchesLayout(const DriverSmSplit& split) {
  if (split.sms <= 0 || split.sms_per_group <= 0) {
    return Error(ErrorCode::kInvalidArgument, "SM split of {} SMs in groups of {}", split.sms,
                 split.sms_per_group);
  }
  const int expected_full = split.sms / split.sms_per_group;
  const int expected_rest = split.sms % split.sms_per_group;
  bool sizes_ok = true;
  for (int sms : split.group_sms) sizes_ok = sizes_ok && sms == split.sms_per_group;
  if (static_cast<int>(split.group_sms.size()) != expected_full || !sizes_ok ||
      split.remainder_sms != expected_rest) {
    return Error(
        ErrorCode::kUnavailable,
        "the driver split {} SMs into groups of [{}] SMs and {} left over, not {} groups of {} and {} "
        "left over as the scheduler's layout assumes",
        split.sms, fmt::join(split.group_sms, ", "), split.remainder_sms, expected_full, split.sms_per_group,
        expected_rest);
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
