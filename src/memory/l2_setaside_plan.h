// How much persisting L2 each latency-sensitive tenant gets, for one set of tenants.
//
// The set-aside is one device-wide size (cudaLimitPersistingL2CacheSize, at most persistingL2CacheMaxSize:
// 37.5 MiB of the H200's 60 MiB). Only LS tenants get a share; BE tenants stream through the rest. Shares
// are max-min fair over what each LS tenant can use (its hot bytes, at most one window): small tenants are
// covered whole, large ones split the remainder. When the tenant set changes, persisting lines of departed
// or shrunk tenants would keep occupying the set-aside, so the lines are reset (NeedsReset).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace missile::memory {

struct L2Tenant {
  std::string name;
  bool latency_sensitive = false;
  uint64_t hot_bytes = 0;  // what it would like to keep in L2 (its weights)
};

struct L2Limits {
  uint64_t persisting_max_bytes = 0;  // cudaDeviceProp::persistingL2CacheMaxSize
  uint64_t max_window_bytes = 0;      // cudaDeviceProp::accessPolicyMaxWindowSize
};

struct L2SetAsidePlan {
  uint64_t device_limit_bytes = 0;          // the sum of the budgets
  std::map<std::string, uint64_t> budgets;  // LS tenants with a non-zero share
};

// `share` (0..1] of the maximum set-aside may be given out; the rest stays with normal (BE) traffic.
L2SetAsidePlan PlanL2SetAside(std::span<const L2Tenant> tenants, const L2Limits& limits, double share = 1.0);

// Whether going from `before` to `after` must reset persisting lines: the LS tenants or their budgets
// changed.
bool NeedsReset(const L2SetAsidePlan& before, const L2SetAsidePlan& after);

}  // namespace missile::memory
