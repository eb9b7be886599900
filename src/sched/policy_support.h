// Small pieces several policies share: stream priority by class, LS activity, where a partition starts.
#pragma once

#include <algorithm>

#include "sched/scheduler_view.h"

namespace missile::sched {

// LS tenants above every BE tenant; within a class, the tenant's priority orders the levels. BE: 0..2, LS:
// 3..5.
inline int ClassStreamPriority(const TenantView& tenant) {
  const int rank = std::clamp(tenant.priority, 0, 2);
  return tenant.latency_sensitive() ? 3 + rank : kLowestStreamPriority + rank;
}

inline bool AnyLatencySensitiveBusy(const SchedulerView& view) {
  return std::any_of(view.tenants.begin(), view.tenants.end(),
                     [](const TenantView& t) { return t.latency_sensitive() && t.busy(); });
}

// The LS side of a split: the top `groups` groups, [n - groups, n).
inline GroupRange TopGroups(const GpuLayout& layout, int groups) {
  return {layout.groups() - std::clamp(groups, 0, layout.groups()), layout.groups()};
}

}  // namespace missile::sched
