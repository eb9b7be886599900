// priority: like shared (everyone launches at once on the whole GPU), but LS streams at the highest stream
// priorities, so the block scheduler hands SMs to LS blocks first as BE blocks retire.
#pragma once

#include "sched/policy.h"

namespace missile::sched {

class PriorityPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "priority"; }
  Decisions Decide(const SchedulerView& view) const override;
};

}  // namespace missile::sched
