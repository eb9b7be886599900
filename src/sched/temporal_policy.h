// temporal: time-sharing at request granularity. One request's kernels at a time, on the whole GPU; the next
// request starts only when the current one has finished: LS requests first, then higher tenant priority,
// then arrival order. Nothing ever runs beside an LS kernel (the isolation upper bound for LS kernels), but
// an LS request waits for a BE request already started.
#pragma once

#include "sched/policy.h"

namespace missile::sched {

class TemporalPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "temporal"; }
  Decisions Decide(const SchedulerView& view) const override;
};

}  // namespace missile::sched
