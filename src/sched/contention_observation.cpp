#include "sched/contention_observation.h"

#include <algorithm>

namespace missile::sched {
namespace {

// LS slower than this while BE runs reads as this: the pause alone could not explain more.
constexpr double kMostSlowdown = 100.0;

}  // namespace

Result<ContentionObservation> ObserveContention(const PacedRun& run) {
  if (run.be_groups <= 0 || !(run.be_alone_us > 0) || !(run.ls_slowdown > 0) || run.pace_us < 0) {
    return Error(
        ErrorCode::kInvalidArgument,
        "a paced run needs BE groups, BE's time alone and LS's slowdown above 0, a pause of 0 or more");
  }
  const double be_beside_us = run.be_period_us - run.pace_us;
  if (!(be_beside_us > 0)) {
    return Error(ErrorCode::kInvalidArgument,
                 "BE's period ({:.1f} us) leaves no time for its kernel after the pause ({:.1f} us)",
                 run.be_period_us, run.pace_us);
  }
  ContentionObservation observed;
  observed.be_groups = run.be_groups;
  // Measurement noise may put either number just under 1; neither effect can speed anything up.
  observed.be_stretch = std::max(1.0, be_beside_us / run.be_alone_us);
  // LS progresses at 1/s while BE's kernel runs and at full speed through the pause, so over one period it
  // does d/s + p of its work alone: slowdown = (d + p) / (d/s + p), the relation missile paces by (PaceUs),
  // inverted.
  const double ls_work_while_be_runs_us = run.be_period_us / std::max(1.0, run.ls_slowdown) - run.pace_us;
  observed.ls_slowdown_while_running = ls_work_while_be_runs_us > be_beside_us / kMostSlowdown
                                           ? be_beside_us / ls_work_while_be_runs_us
                                           : kMostSlowdown;
  return observed;
}

}  // namespace missile::sched
