#include "sched/temporal_policy.h"

#include <tuple>

#include "sched/policy_support.h"

namespace missile::sched {

Decisions TemporalPolicy::Decide(const SchedulerView& view) const {
  // The tenant whose request holds the GPU: it has started and not finished (at most one, by this policy).
  const TenantView* owner = nullptr;
  for (const TenantView& t : view.tenants) {
    if (t.request_started || t.running.has_value()) owner = &t;
  }
  if (owner == nullptr) {
    // Pick the next request: LS before BE, then tenant priority, then arrival, then tenant id.
    const auto rank = [](const TenantView& t) {
      return std::make_tuple(!t.latency_sensitive(), -t.priority, t.head_arrival, t.id);
    };
    for (const TenantView& t : view.tenants) {
      if (t.ready() && (owner == nullptr || rank(t) < rank(*owner))) owner = &t;
    }
  }
  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (!t.ready()) continue;
    decisions.push_back(&t == owner ? KernelDecision::Launch(t.id, view.layout.all(), ClassStreamPriority(t))
                                    : KernelDecision::Hold(t.id));
  }
  return decisions;
}

}  // namespace missile::sched
