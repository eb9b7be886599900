// missile: elastic SM partitioning with bandwidth regulation, re-decided at every BE kernel boundary.
//
// - While no LS tenant has work queued or running, BE kernels take the whole GPU (up to their max_groups):
//   BE never starves while LS is idle.
// - The moment LS has work queued or running, BE's next kernels go to the smallest partition: [0, f), f the
//   BE tenant's min_groups; a BE tenant with none holds (below). LS launches at
//   once into [f, n) (at most its max_groups, from the top) at the highest stream priorities, from lower down
//   while BE kernels in flight hold less than f; a BE kernel still running on LS's groups keeps them only
//   until its blocks drain. LS then waits at most for BE's kernel (segment) in flight, and runs on all but
//   BE's floor.
// - Bandwidth regulation: BE's kernel beside LS is judged by the LS slowdown it is predicted to cause through
//   DRAM contention (contention.h): the LS kernels expected to run while it does (from where LS is estimated
//   to be now, work_ahead.h, until their time adds up to the BE kernel's duration on f groups), each slowed
//   by the BE kernels' bandwidth on their partitions. Within the budget (default 5%) it launches now. Beyond
//   it, a BE tenant guaranteed groups (min_groups >= 1) keeps them but is paced: its stream idles before the
//   kernel long enough that LS's slowdown, averaged over the duty cycle, stays within the budget (never less
//   than a 5% duty cycle: BE keeps running). The cycle counts BE's time beside LS, which LS's own DRAM
//   traffic stretches, not its time alone. A BE tenant with no guarantee (min_groups 0) holds instead. Where
//   the device measured BE beside LS on that very partition (TenantView::observed), the measured LS slowdown
//   and BE stretch replace the model's (contention_observation.h): the pace then corrects itself from a run.
// - A BE tenant with min_groups 0 yields to LS: it holds while LS has work queued or running, backlogged or
//   not, so LS gets the whole GPU once BE's launch in flight drains. (With min_groups >= 1 BE always runs
//   beside LS, which a continuous LS stream needs: the policy cannot see requests that have not arrived.)
//   Why not run BE on one group while LS is backlogged, where BE's kernel would finish before the queued LS
//   work: on the H200 that cost LS's p99 6% over holding (1.078x against orion's 1.02x, 2026-11-26, one-step
//   BE launches) and gained BE nothing (0.72 of alone both): a BE kernel on one group slows LS through L2 and
//   power as well as DRAM, which the model does not charge, and the requests it delays are LS's tail.
#pragma once

#include <span>

#include "sched/contention.h"
#include "sched/policy.h"

namespace missile::sched {

class MissilePolicy final : public SchedulingPolicy {
 public:
  // The least fraction of time a paced BE tenant runs: bandwidth regulation throttles BE, never stops it.
  static constexpr double kMinDutyCycle = 0.05;

  MissilePolicy(double slowdown_budget, const ContentionModel& contention)
      : budget_(slowdown_budget), dram_(contention) {}
  std::string_view name() const override { return "missile"; }
  Decisions Decide(const SchedulerView& view) const override;

  // Where BE tenant `be`'s next launch (`be_segment`: its kernels, one or a segment run back to back) runs
  // beside the active LS tenants: groups [0, groups) (0: hold), the idle time before it, and the LS slowdown
  // predicted while it runs. `other_be_gbps`: DRAM bandwidth other BE kernels in flight pull.
  struct Share {
    int groups = 0;
    double pace_us = 0;
    double predicted_ls_slowdown = 1.0;
  };
  Share BeShare(const SchedulerView& view, const TenantView& be, std::span<const KernelProfile> be_segment,
                double other_be_gbps) const;
  // Predicted LS slowdown from DRAM contention (worst over active LS tenants, each on its side of the split)
  // with `be_segment` on groups [0, be_groups) beside it.
  double PredictLsSlowdown(const SchedulerView& view, std::span<const KernelProfile> be_segment,
                           int be_groups, double other_be_gbps) const;
  // The same, with what LS pulls meanwhile and BE's own slowdown from it (both tenants are victims).
  struct Beside {
    double ls_slowdown = 1.0;
    double ls_gbps = 0;  // DRAM bandwidth the active LS tenants pull over the window
    double be_slowdown = 1.0;
  };
  Beside PredictBeside(const SchedulerView& view, std::span<const KernelProfile> be_segment, int be_groups,
                       double other_be_gbps) const;
  // The idle time before a BE kernel of `duration_us` that slows LS `slowdown` times while it runs, so that
  // LS's slowdown over the duty cycle is 1 + budget: (d + p) / (d / s + p) = 1 + budget.
  static double PaceUs(double duration_us, double slowdown, double budget);

 private:
  double budget_;
  const ContentionModel& dram_;
};

}  // namespace missile::sched
