#include "sched/shared_policy.h"

namespace missile::sched {

Decisions SharedPolicy::Decide(const SchedulerView& view) const {
  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (t.ready())
      decisions.push_back(KernelDecision::Launch(t.id, view.layout.all(), kLowestStreamPriority));
  }
  return decisions;
}

}  // namespace missile::sched
