#include "memory/l2_setaside_plan.h"

#include <algorithm>
#include <vector>

namespace missile::memory {

L2SetAsidePlan PlanL2SetAside(std::span<const L2Tenant> tenants, const L2Limits& limits, double share) {
  struct Demand {
    const L2Tenant* tenant;
    uint64_t bytes;
  };
  std::vector<Demand> demands;
  for (const L2Tenant& t : tenants) {
    if (!t.latency_sensitive || t.hot_bytes == 0) continue;
    // More than one window's worth cannot be used: a stream has one window.
    const uint64_t usable =
        limits.max_window_bytes > 0 ? std::min(t.hot_bytes, limits.max_window_bytes) : t.hot_bytes;
    demands.push_back({&t, usable});
  }
  // Max-min fairness: serve the smallest demands first, each at most an equal share of what is left.
  std::sort(demands.begin(), demands.end(), [](const Demand& a, const Demand& b) {
    return a.bytes != b.bytes ? a.bytes < b.bytes : a.tenant->name < b.tenant->name;
  });
  uint64_t remaining =
      static_cast<uint64_t>(std::clamp(share, 0.0, 1.0) * static_cast<double>(limits.persisting_max_bytes));
  L2SetAsidePlan plan;
  for (size_t i = 0; i < demands.size(); ++i) {
    const uint64_t fair = remaining / (demands.size() - i);
    const uint64_t given = std::min(demands[i].bytes, fair);
    if (given == 0) continue;
    plan.budgets[demands[i].tenant->name] = given;
    plan.device_limit_bytes += given;
    remaining -= given;
  }
  return plan;
}

bool NeedsReset(const L2SetAsidePlan& before, const L2SetAsidePlan& after) {
  return before.budgets != after.budgets;
}

}  // namespace missile::memory
