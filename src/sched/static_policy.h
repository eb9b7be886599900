// static: fixed SM partitions per tenant, never lent out (what MIG-style or MPS-percentage splitting gives).
// Every tenant launches at once, into its own partition only.
//
// The split, from the tenants' SM bounds: LS tenants (higher priority first, then lower id) take groups from
// the top of the GPU, each as many as its max_groups allows while every BE tenant keeps its min_groups; BE
// tenants then share the groups left, from group 0 up: each its min_groups first, then one group at a time in
// turn up to its max_groups. A tenant left with no groups holds its kernels (its bounds cannot be met).
#pragma once

#include <map>

#include "sched/policy.h"

namespace missile::sched {

// Each tenant's fixed partition (empty when nothing is left for it).
std::map<TenantId, GroupRange> StaticPartitions(const SchedulerView& view);

class StaticPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "static"; }
  Decisions Decide(const SchedulerView& view) const override;
};

}  // namespace missile::sched
