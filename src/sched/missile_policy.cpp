#include "sched/missile_policy.h"

#include <algorithm>
#include <map>

#include "sched/policy_support.h"
#include "sched/work_ahead.h"

namespace missile::sched {
namespace {

// A BE launch's kernels on `groups` groups, back to back: their time and the DRAM bandwidth they pull on
// average over it.
double SegmentUs(const GpuLayout& layout, std::span<const KernelProfile> segment, int groups) {
  double us = 0;
  for (const KernelProfile& k : segment) us += k.DurationUs(layout, layout.SmsInFirst(groups));
  return us;
}

double SegmentGbps(const ContentionModel& dram, const GpuLayout& layout,
                   std::span<const KernelProfile> segment, int groups) {
  double us = 0, gb = 0;
  for (const KernelProfile& k : segment) {
    const int sms = std::min(layout.SmsInFirst(groups), k.UsefulSms(layout));
    const double d = k.DurationUs(layout, layout.SmsInFirst(groups));
    us += d;
    gb += d * dram.PulledBandwidth(sms, k.memory_intensity);
  }
  return us > 0 ? gb / us : 0;
}

// The kernels of a BE tenant's launch: the one in flight, or else the one it would launch next.
std::span<const KernelProfile> BeSegment(const TenantView& t) {
  if (t.upcoming.empty()) return {t.running.has_value() ? t.running->kernel : t.next, 1};
  const size_t steps = t.running.has_value() ? t.running->steps : t.next_steps;
  return t.upcoming.subspan(0, std::clamp<size_t>(steps, 1, t.upcoming.size()));
}

// GB/s a BE launch in flight pulls on its partition (its first group count from 0).
double InFlightGbps(const ContentionModel& dram, const GpuLayout& layout, const TenantView& t) {
  return SegmentGbps(dram, layout, BeSegment(t), t.running->partition.end);
}

// LS tenants keep at least the largest min_groups among the active ones.
int LsFloor(const SchedulerView& view) {
  int floor = 0;
  for (const TenantView& t : view.tenants) {
    if (t.latency_sensitive() && t.busy()) floor = std::max(floor, t.bounds.MinOn(view.layout));
  }
  return floor;
}

}  // namespace

double MissilePolicy::PaceUs(double duration_us, double slowdown, double budget) {
  if (!(slowdown > 1.0 + budget) || duration_us <= 0) return 0;
  const double longest = duration_us * (1.0 / kMinDutyCycle - 1.0);
  if (budget <= 0) return longest;
  // (d + p) <= (1 + b) (d / s + p)  <=>  p >= d (s - 1 - b) / (s b)
  return std::min(longest, duration_us * (slowdown - 1.0 - budget) / (slowdown * budget));
}

MissilePolicy::Beside MissilePolicy::PredictBeside(const SchedulerView& view,
                                                   std::span<const KernelProfile> be_segment, int be_groups,
                                                   double other_be_gbps) const {
  const GpuLayout& layout = view.layout;
  const int n = layout.groups();
  const double be_gbps = other_be_gbps + SegmentGbps(dram_, layout, be_segment, be_groups);
  const double window_us = SegmentUs(layout, be_segment, be_groups);
  Beside beside;
  for (const TenantView& ls : view.tenants) {
    if (!ls.latency_sensitive() || !ls.busy()) continue;
    const double sms = layout.SmsIn({std::max(be_groups, n - ls.bounds.MaxOn(layout)), n});
    const WorkAhead ahead = EstimateWorkAhead(ls, layout);
    double alone_us = 0, slowed_us = 0, pulled = 0;  // pulled: GB/s x us
    for (size_t i = 0; i < ahead.kernels.size() && alone_us < window_us; ++i) {
      const KernelProfile& k = ahead.kernels[i];
      const double us = k.DurationUs(layout, sms) * (i == 0 ? ahead.first_left : 1.0);
      alone_us += us;
      slowed_us += us * dram_.Slowdown(k.memory_intensity, be_gbps);
      pulled += us * dram_.PulledBandwidth(std::min<double>(sms, k.UsefulSms(layout)), k.memory_intensity);
    }
    if (alone_us <= 0) continue;
    beside.ls_slowdown = std::max(beside.ls_slowdown, slowed_us / alone_us);
    beside.ls_gbps += pulled / alone_us;
  }
  double be_us = 0, be_slowed_us = 0;
  for (const KernelProfile& k : be_segment) {
    const double us = k.DurationUs(layout, layout.SmsInFirst(be_groups));
    be_us += us;
    be_slowed_us += us * dram_.Slowdown(k.memory_intensity, beside.ls_gbps + other_be_gbps);
  }
  beside.be_slowdown = be_us > 0 ? be_slowed_us / be_us : 1.0;
  return beside;
}

double MissilePolicy::PredictLsSlowdown(const SchedulerView& view, std::span<const KernelProfile> be_segment,
                                        int be_groups, double other_be_gbps) const {
  return PredictBeside(view, be_segment, be_groups, other_be_gbps).ls_slowdown;
}

MissilePolicy::Share MissilePolicy::BeShare(const SchedulerView& view, const TenantView& be,
                                            std::span<const KernelProfile> be_segment,
                                            double other_be_gbps) const {
  const GpuLayout& layout = view.layout;
  const int hi = std::min(be.bounds.MaxOn(layout), layout.groups() - LsFloor(view));
  // No guarantee: yield to LS while it has work (missile_policy.h says why, with the H200's numbers).
  if (hi <= 0 || be.bounds.MinOn(layout) == 0) return {};
  // The smallest partition: the guarantee.
  const int groups = std::min(be.bounds.MinOn(layout), hi);
  const double duration_us = SegmentUs(layout, be_segment, groups);
  Beside beside = PredictBeside(view, be_segment, groups, other_be_gbps);
  if (be.observed.has_value() && be.observed->be_groups == groups) {
    // Measured beside LS on this very partition: that, not the model, sets the launch and its pace.
    beside.ls_slowdown = be.observed->ls_slowdown_while_running;
    beside.be_slowdown = be.observed->be_stretch;
  }
  Share share{groups, 0, beside.ls_slowdown};
  if (share.predicted_ls_slowdown > 1.0 + budget_) {
    // The duty cycle is over BE's time beside LS, which LS's own DRAM traffic stretches (on the H200 a
    // streaming BE on 8 SMs ran 2.9x longer beside a streaming LS than alone).
    share.pace_us = PaceUs(duration_us * beside.be_slowdown, share.predicted_ls_slowdown, budget_);
  }
  return share;
}

Decisions MissilePolicy::Decide(const SchedulerView& view) const {
  const GpuLayout& layout = view.layout;
  std::map<TenantId, KernelDecision> decided;
  if (!AnyLatencySensitiveBusy(view)) {
    // No LS work anywhere: BE takes the whole GPU. (No LS tenant is ready either.)
    for (const TenantView& t : view.tenants) {
      if (t.ready())
        decided[t.id] = KernelDecision::Launch(t.id, {0, t.bounds.MaxOn(layout)}, ClassStreamPriority(t));
    }
  } else {
    // BE first: its split decides where LS's partition starts.
    double be_gbps = 0;  // BE kernels in flight
    for (const TenantView& t : view.tenants) {
      if (!t.latency_sensitive() && t.running.has_value()) be_gbps += InFlightGbps(dram_, layout, t);
    }
    int split = 0;     // the BE side of the split, prospective: what BE kernels get at their next boundary
    int occupied = 0;  // groups BE kernels in flight (or launched now) may hold: [0, occupied)
    for (const TenantView& t : view.tenants) {
      if (!t.latency_sensitive() && t.running.has_value())
        occupied = std::max(occupied, t.running->partition.end);
    }
    for (const TenantView& t : view.tenants) {
      if (t.latency_sensitive() || !t.busy()) continue;
      const double own = t.running.has_value() ? InFlightGbps(dram_, layout, t) : 0;
      // A BE tenant not ready now will ask at its kernel boundary; its prospective share places LS already
      // (its launch in flight stands in for its next).
      const std::span<const KernelProfile> segment = BeSegment(t);
      const Share share = BeShare(view, t, segment, be_gbps - own);
      split = std::max(split, share.groups);
      if (!t.ready()) continue;
      if (share.groups == 0) {
        decided[t.id] = KernelDecision::Hold(t.id);
      } else {
        decided[t.id] =
            KernelDecision::Launch(t.id, {0, share.groups}, ClassStreamPriority(t), share.pace_us);
        be_gbps += SegmentGbps(dram_, layout, segment, share.groups);
        occupied = std::max(occupied, share.groups);
      }
    }
    for (const TenantView& t : view.tenants) {
      if (!t.latency_sensitive() || !t.ready()) continue;
      // LS starts at the split, or lower while BE holds less than the split gives it: until BE's next kernel
      // boundary those groups are idle, and a BE kernel launched there later cannot take SMs from LS blocks.
      const int begin = std::max(std::min(split, occupied), layout.groups() - t.bounds.MaxOn(layout));
      decided[t.id] = KernelDecision::Launch(t.id, {begin, layout.groups()}, ClassStreamPriority(t));
    }
  }
  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (t.ready()) decisions.push_back(decided.at(t.id));
  }
  return decisions;
}

}  // namespace missile::sched
