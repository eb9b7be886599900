// shared: every tenant launches as soon as it has a kernel, on the whole GPU, all streams at the same
// priority. What plain CUDA streams (or MPS without limits) give: the hardware decides who gets SMs.
#pragma once

#include "sched/policy.h"

namespace missile::sched {

class SharedPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "shared"; }
  Decisions Decide(const SchedulerView& view) const override;
};

}  // namespace missile::sched
