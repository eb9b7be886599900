#include "sched/missile_policy.h"

#include <algorithm>
#include <map>

#include "sched/policy_support.h"

namespace missile::sched {
namespace {

// GB/s a kernel in flight pulls on its partition.
double PulledBandwidth(const ContentionModel& dram, const GpuLayout& layout, const RunningKernel& running) {
  const int sms = std::min(layout.SmsIn(running.partition), running.kernel->UsefulSms(layout));
  return dram.PulledBandwidth(sms, running.kernel->memory_intensity);
}

double PulledBandwidth(const ContentionModel& dram, const GpuLayout& layout, const KernelProfile& kernel,
                       int groups) {
  const int sms = std::min(layout.SmsInFirst(groups), kernel.UsefulSms(layout));
  return dram.PulledBandwidth(sms, kernel.memory_intensity);
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

double MissilePolicy::PredictLsSlowdown(const SchedulerView& view, const KernelProfile& be_kernel,
                                        int be_groups, double other_be_gbps) const {
  const GpuLayout& layout = view.layout;
  const int n = layout.groups();
  const double be_gbps = other_be_gbps + PulledBandwidth(dram_, layout, be_kernel, be_groups);
  const double window_us = be_kernel.DurationUs(layout, layout.SmsInFirst(be_groups));
  double worst = 1.0;
  for (const TenantView& ls : view.tenants) {
    if (!ls.latency_sensitive() || !ls.busy()) continue;
    const int ls_max = ls.bounds.MaxOn(layout);
    const double alone_sms = layout.SmsIn(TopGroups(layout, ls_max));
    const double shared_sms = layout.SmsIn({std::max(be_groups, n - ls_max), n});
    double alone_us = 0, shared_us = 0;
    for (const KernelProfile& k : ls.upcoming) {
      alone_us += k.DurationUs(layout, alone_sms);
      shared_us += k.DurationUs(layout, shared_sms) * dram_.Slowdown(k.memory_intensity, be_gbps);
      if (alone_us >= window_us) break;
    }
    if (alone_us > 0) worst = std::max(worst, shared_us / alone_us);
  }
  return worst;
}

double MissilePolicy::PredictLsRemainingUs(const SchedulerView& view) {
  const GpuLayout& layout = view.layout;
  double most = 0;
  for (const TenantView& ls : view.tenants) {
    if (!ls.latency_sensitive() || !ls.busy()) continue;
    const double sms = layout.SmsIn(TopGroups(layout, ls.bounds.MaxOn(layout)));
    double head = 0, request = 0;
    for (const KernelProfile& k : ls.upcoming) head += k.DurationUs(layout, sms);
    for (const KernelProfile& k : ls.kernels) request += k.DurationUs(layout, sms);
    const double queued_behind = ls.queued_requests > 0 ? static_cast<double>(ls.queued_requests - 1) : 0;
    most = std::max(most, head + queued_behind * request);
  }
  return most;
}

MissilePolicy::Share MissilePolicy::BeShare(const SchedulerView& view, const TenantView& be,
                                            const KernelProfile& be_kernel, double other_be_gbps) const {
  const GpuLayout& layout = view.layout;
  const int hi = std::min(be.bounds.MaxOn(layout), layout.groups() - LsFloor(view));
  const int lo = std::min(be.bounds.MinOn(layout), hi);
  Share share{lo, 1.0};
  for (int b = hi; b > lo; --b) {
    const double predicted = PredictLsSlowdown(view, be_kernel, b, other_be_gbps);
    if (predicted <= 1.0 + budget_) {
      share = {b, predicted};
      break;
    }
  }
  if (share.groups == lo && lo > 0)
    share.predicted_ls_slowdown = PredictLsSlowdown(view, be_kernel, lo, other_be_gbps);
  // A BE tenant guaranteed groups beside LS (min_groups > 0) always gets them. One that is not runs beside LS
  // only when that finishes the kernel sooner than waiting for LS to finish and taking its whole share.
  if (share.groups == 0 || lo > 0) return share;
  const double now_us = be_kernel.DurationUs(layout, layout.SmsInFirst(share.groups));
  const double later_us =
      PredictLsRemainingUs(view) + be_kernel.DurationUs(layout, layout.SmsInFirst(be.bounds.MaxOn(layout)));
  if (now_us > later_us) return {0, 1.0};
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
      if (!t.latency_sensitive() && t.running.has_value())
        be_gbps += PulledBandwidth(dram_, layout, *t.running);
    }
    int split = 0;     // the BE side of the split, prospective: what BE kernels get at their next boundary
    int occupied = 0;  // groups BE kernels in flight (or launched now) may hold: [0, occupied)
    for (const TenantView& t : view.tenants) {
      if (!t.latency_sensitive() && t.running.has_value())
        occupied = std::max(occupied, t.running->partition.end);
    }
    for (const TenantView& t : view.tenants) {
      if (t.latency_sensitive() || !t.busy()) continue;
      const double own = t.running.has_value() ? PulledBandwidth(dram_, layout, *t.running) : 0;
      // A BE tenant not ready now will ask at its kernel boundary; its prospective share places LS already.
      const KernelProfile& kernel = t.ready() ? *t.next : *t.running->kernel;
      const Share share = BeShare(view, t, kernel, be_gbps - own);
      split = std::max(split, share.groups);
      if (!t.ready()) continue;
      if (share.groups == 0) {
        decided[t.id] = KernelDecision::Hold(t.id);
      } else {
        decided[t.id] = KernelDecision::Launch(t.id, {0, share.groups}, ClassStreamPriority(t));
        be_gbps += PulledBandwidth(dram_, layout, kernel, share.groups);
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
