// Missile's bandwidth regulation paces a BE tenant from a prediction of what its kernels do to LS (the
// contention model) and of how much LS stretches them. On the H200 both predictions can be far off (a
// streaming BE on 8 SMs ran 2.9x longer beside a streaming LS than alone; the model said 1.9x), so the pace
// they give misses the budget. A run of the paced BE beside LS measures both: this turns what such a run
// showed into a ContentionObservation, which the policy then uses in place of its prediction
// (scheduler_view.h).
#pragma once

#include "core/status.h"
#include "sched/scheduler_view.h"

namespace missile::sched {

// A stretch of time in which LS ran throughout and BE ran kernel after kernel, each after a pause.
struct PacedRun {
  int be_groups = 0;         // BE's partition [0, be_groups)
  double ls_slowdown = 1.0;  // LS's mean kernel time in the stretch against LS alone on the same SMs
  double be_alone_us = 0;    // one BE kernel alone on its partition
  double be_period_us = 0;   // BE's mean time per kernel in the stretch, the pause included
  double pace_us = 0;        // the pause before each BE kernel
};

// The BE kernel's time beside LS (d) is its period less the pause (p); LS ran slowed only while the kernel
// ran, so its slowdown then (s) solves slowdown = (d + p) / (d/s + p), the relation missile's pace is
// computed from. A slowdown the pause cannot explain reads as 100x. kInvalidArgument when the run cannot say
// (no time left for the kernel, non-positive times).
Result<ContentionObservation> ObserveContention(const PacedRun& run);

}  // namespace missile::sched
