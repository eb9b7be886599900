// missile: elastic SM partitioning with bandwidth regulation, re-decided at every BE kernel boundary.
//
// - While no LS tenant has work queued or running, BE kernels take the whole GPU (up to their max_groups):
//   BE never starves while LS is idle.
// - While LS is active, the GPU is split: BE on groups [0, b), LS on [b, n) (green-context partitions made
//   ahead for every b, so a split costs nothing to switch). LS kernels launch at once into [b, n) at the
//   highest stream priorities (from lower down while BE kernels in flight hold less than b); a BE kernel
//   still running on LS's groups keeps them only until its blocks drain.
// - b is chosen per BE kernel: the largest split, within the BE tenant's [min_groups, max_groups] and leaving
//   every LS tenant its min_groups, for which the predicted LS slowdown stays within the budget (default 5%).
//   The prediction covers the LS kernels expected to run while the BE kernel does (from the kernel in flight
//   on, until their time alone adds up to the BE kernel's duration on b groups) and charges LS both for the
//   SMs it loses and for DRAM contention (contention.h) from the BE kernel's bandwidth on b groups plus any
//   other BE kernel in flight. So a memory-bound LS phase caps BE's SMs hard, a compute-bound one whose
//   kernels cannot use the whole GPU lets BE keep the SMs LS would leave idle. When even min_groups breaks
//   the budget, b is min_groups (the guarantee an operator configured).
// - A BE tenant with min_groups 0 (no share guaranteed beside LS) is held instead when waiting finishes its
//   kernel sooner: when the kernel's duration on b groups exceeds the LS work predicted to remain (the
//   requests queued, alone) plus its duration on the BE tenant's whole share. A kernel launched into a small
//   partition keeps it to its end, long after LS may have gone idle; holding it also spares LS its bandwidth.
//   (With min_groups >= 1 BE always runs beside LS, which a continuous LS stream needs: the policy cannot see
//   requests that have not arrived.) Such a tenant also holds when no split meets the budget.
#pragma once

#include "sched/contention.h"
#include "sched/policy.h"

namespace missile::sched {

class MissilePolicy final : public SchedulingPolicy {
 public:
  MissilePolicy(double slowdown_budget, const ContentionModel& contention)
      : budget_(slowdown_budget), dram_(contention) {}
  std::string_view name() const override { return "missile"; }
  Decisions Decide(const SchedulerView& view) const override;

  // The BE partition size (groups from 0) for `be_kernel` of tenant `be` beside the active LS tenants, and
  // the LS slowdown predicted for it. `other_be_gbps`: DRAM bandwidth other BE kernels in flight pull.
  struct Share {
    int groups = 0;
    double predicted_ls_slowdown = 1.0;
  };
  Share BeShare(const SchedulerView& view, const TenantView& be, const KernelProfile& be_kernel,
                double other_be_gbps) const;
  // Microseconds of LS work left, alone, in the most loaded active LS tenant (its requests queued included).
  static double PredictLsRemainingUs(const SchedulerView& view);
  // Predicted LS slowdown (worst over active LS tenants) with `be_kernel` on groups [0, be_groups).
  double PredictLsSlowdown(const SchedulerView& view, const KernelProfile& be_kernel, int be_groups,
                           double other_be_gbps) const;

 private:
  double budget_;
  const ContentionModel& dram_;
};

}  // namespace missile::sched
