#include "sched/priority_policy.h"

#include "sched/policy_support.h"

namespace missile::sched {

Decisions PriorityPolicy::Decide(const SchedulerView& view) const {
  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (t.ready())
      decisions.push_back(KernelDecision::Launch(t.id, view.layout.all(), ClassStreamPriority(t)));
  }
  return decisions;
}

}  // namespace missile::sched
