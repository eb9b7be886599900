// Linux CFS's nice -> weight table, so that tenants' PCIe shares are configured the way operators already
// configure CPU shares.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace missile::pcie {

inline constexpr int kMinNice = -20;
inline constexpr int kMaxNice = 19;
inline constexpr uint32_t kNice0Weight = 1024;

// kernel/sched/core.c's sched_prio_to_weight: each nice step is a factor of ~1.25, so one step moves ~10% of
// a contended link between two tenants. Weights run from 88761 (nice -20) to 15 (nice 19).
Result<uint32_t> WeightForNice(int nice);

}  // namespace missile::pcie
