#include "sched/orion_policy.h"

#include <vector>

#include "sched/policy_support.h"
#include "sched/work_ahead.h"

namespace missile::sched {
namespace {

// The LS kernel each active LS tenant is running (estimated inside a segment: an LS request replayed as one
// graph is on its later kernels long after its first), or launches next.
std::vector<const KernelProfile*> CurrentLsKernels(const SchedulerView& view) {
  std::vector<const KernelProfile*> kernels;
  for (const TenantView& t : view.tenants) {
    if (!t.latency_sensitive() || !t.busy()) continue;
    const WorkAhead ahead = EstimateWorkAhead(t, view.layout);
    if (!ahead.kernels.empty()) {
      kernels.push_back(&ahead.kernels.front());
    } else {
      kernels.push_back(t.running.has_value() ? t.running->kernel : t.next);
    }
  }
  return kernels;
}

}  // namespace

Decisions OrionPolicy::Decide(const SchedulerView& view) const {
  const GpuLayout& layout = view.layout;
  const std::vector<const KernelProfile*> ls_kernels = CurrentLsKernels(view);
  int ls_sms = 0;
  for (const KernelProfile* k : ls_kernels) ls_sms += k->UsefulSms(layout);
  const int threshold = sm_threshold_ > 0 ? sm_threshold_ : std::max(0, layout.sms - ls_sms);
  bool be_in_flight = false;
  for (const TenantView& t : view.tenants) be_in_flight |= !t.latency_sensitive() && t.running.has_value();

  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (!t.ready()) continue;
    const KernelDecision launch = KernelDecision::Launch(t.id, layout.all(), ClassStreamPriority(t));
    if (t.latency_sensitive() || ls_kernels.empty()) {
      decisions.push_back(launch);
      continue;
    }
    bool fits = !be_in_flight && t.next->UsefulSms(layout) <= threshold;
    for (const KernelProfile* ls : ls_kernels) fits = fits && ls->memory_bound != t.next->memory_bound;
    decisions.push_back(fits ? launch : KernelDecision::Hold(t.id));
    be_in_flight |= fits;
  }
  return decisions;
}

}  // namespace missile::sched
