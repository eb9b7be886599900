// A scheduling policy: a pure decision function over the scheduler's view (scheduler_view.h). It never
// touches streams, threads or clocks, keeps no state between calls, and answers the same view with the same
// decisions, so its choices replay exactly in tests, in the simulator and on the GPU.
//
// Six policies, side by side (docs/scheduling.md): temporal, shared, priority, static, orion, missile.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sched/contention.h"
#include "sched/scheduler_view.h"

namespace missile::sched {

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  virtual std::string_view name() const = 0;
  // One decision for every ready tenant of `view`, in the view's order.
  virtual Decisions Decide(const SchedulerView& view) const = 0;
};

struct PolicyOptions {
  // missile: the most LS's predicted slowdown may grow because of BE (0.05 = 5%).
  double missile_slowdown_budget = 0.05;
  // orion: the most SMs a BE kernel may need to run beside LS; 0 means the SMs the LS kernel leaves unused.
  int orion_sm_threshold = 0;
  // How DRAM contention slows kernels (missile's predictions).
  const ContentionModel* contention = &ContentionModel::H200();

  Status Validate() const;
};

// The policy called `name` (one of PolicyNames()), or kInvalidArgument naming the known ones.
Result<std::unique_ptr<SchedulingPolicy>> MakePolicy(std::string_view name,
                                                     const PolicyOptions& options = {});
const std::vector<std::string>& PolicyNames();

}  // namespace missile::sched
