#include "sched/static_policy.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "sched/policy_support.h"

namespace missile::sched {
namespace {

std::vector<const TenantView*> OfClass(const SchedulerView& view, TenantClass cls) {
  std::vector<const TenantView*> tenants;
  for (const TenantView& t : view.tenants) {
    if (t.cls == cls) tenants.push_back(&t);
  }
  std::sort(tenants.begin(), tenants.end(), [](const TenantView* a, const TenantView* b) {
    return std::make_tuple(-a->priority, a->id) < std::make_tuple(-b->priority, b->id);
  });
  return tenants;
}

}  // namespace

std::map<TenantId, GroupRange> StaticPartitions(const SchedulerView& view) {
  const GpuLayout& layout = view.layout;
  const std::vector<const TenantView*> ls = OfClass(view, TenantClass::kLatencySensitive);
  const std::vector<const TenantView*> be = OfClass(view, TenantClass::kBestEffort);
  int be_reserve = 0;
  for (const TenantView* t : be) be_reserve += t->bounds.MinOn(layout);

  std::map<TenantId, GroupRange> partitions;
  int top = layout.groups();  // LS partitions grow down from here
  for (const TenantView* t : ls) {
    const int room = std::max(0, top - be_reserve);
    const int size = std::min(t->bounds.MaxOn(layout), room);
    partitions[t->id] = {top - size, top};
    top -= size;
  }
  // BE: minimums first, then the rest one group at a time, in turn.
  std::vector<int> sizes(be.size(), 0);
  int left = top;
  for (size_t i = 0; i < be.size(); ++i) {
    sizes[i] = std::min(be[i]->bounds.MinOn(layout), left);
    left -= sizes[i];
  }
  for (bool grew = true; left > 0 && grew;) {
    grew = false;
    for (size_t i = 0; i < be.size() && left > 0; ++i) {
      if (sizes[i] < be[i]->bounds.MaxOn(layout)) {
        ++sizes[i];
        --left;
        grew = true;
      }
    }
  }
  int begin = 0;
  for (size_t i = 0; i < be.size(); ++i) {
    partitions[be[i]->id] = {begin, begin + sizes[i]};
    begin += sizes[i];
  }
  return partitions;
}

Decisions StaticPolicy::Decide(const SchedulerView& view) const {
  const std::map<TenantId, GroupRange> partitions = StaticPartitions(view);
  Decisions decisions;
  for (const TenantView& t : view.tenants) {
    if (!t.ready()) continue;
    const GroupRange partition = partitions.at(t.id);
    decisions.push_back(partition.empty() ? KernelDecision::Hold(t.id)
                                          : KernelDecision::Launch(t.id, partition, ClassStreamPriority(t)));
  }
  return decisions;
}

}  // namespace missile::sched
