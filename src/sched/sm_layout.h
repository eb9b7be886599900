// How a GPU's SMs divide into the groups that partitions are made of.
//
// CUDA green contexts split SMs in groups (8 SMs on the H200, shared/DEVICE.md): 132 SMs are 16 groups of 8
// plus one group of the 4 left over. Every partition the scheduler hands out is a contiguous range of groups,
// so the same few partitions can be created once, ahead of time, and switching between them costs nothing.
#pragma once

#include <string>

namespace missile::sched {

// Groups [begin, end).
struct GroupRange {
  int begin = 0;
  int end = 0;

  int size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return size() == 0; }
  bool Contains(int group) const { return group >= begin && group < end; }
  bool Overlaps(const GroupRange& other) const {
    return !empty() && !other.empty() && begin < other.end && other.begin < end;
  }
  std::string ToString() const;  // "[0,4)"
  bool operator==(const GroupRange&) const = default;
};

struct GpuLayout {
  int sms = 132;
  int sms_per_group = 8;
  // 0: ceil(sms / sms_per_group) groups, the last holding the remainder. Otherwise this many groups, every
  // one of sms_per_group SMs but the last, which holds the rest and may be larger: the H200 driver's own
  // split keeps groups inside GPCs and gives 15 groups of 8 and 12 SMs left over
  // (docs/results/partitions-2026-11-26.md).
  int group_count = 0;

  // The project's GPU: 132 SMs in groups of 8 (16 full groups and one of 4).
  static GpuLayout H200() { return {132, 8}; }
  // The H200 as its driver splits it by GPC, the leftovers folded into the last group: 14 x 8 + 20.
  static GpuLayout H200ByGpc() { return {132, 8, 15}; }

  int groups() const { return group_count > 0 ? group_count : (sms + sms_per_group - 1) / sms_per_group; }
  GroupRange all() const { return {0, groups()}; }
  // SMs in group `group` (the last group holds the remainder).
  int SmsInGroup(int group) const;
  int SmsIn(const GroupRange& range) const;
  // SMs in a partition of `count` groups counted from group 0: min(count * sms_per_group, sms).
  int SmsInFirst(int count) const { return SmsIn({0, count}); }
  bool valid() const {
    return sms > 0 && sms_per_group > 0 && group_count >= 0 && sms - (groups() - 1) * sms_per_group >= 1;
  }
  std::string ToString() const;  // "132 SMs: 15 groups of 8 + 1 of 12"
  bool operator==(const GpuLayout& other) const {
    return sms == other.sms && sms_per_group == other.sms_per_group && groups() == other.groups();
  }
};

}  // namespace missile::sched
