// The GPU's SMs as the modelled GPU hands them out: free SMs per group, and per kernel the SMs it holds in
// each group. Holdings persist until moved or released, as blocks stay on the SMs they were placed on.
#pragma once

#include <vector>

#include "sched/sm_layout.h"

namespace missile::sim {

// SMs a kernel holds, per group.
using SmHoldings = std::vector<int>;

class SmPool {
 public:
  explicit SmPool(const sched::GpuLayout& layout);

  SmHoldings Empty() const { return SmHoldings(free_.size(), 0); }
  int FreeIn(const sched::GroupRange& partition) const;
  // Grants up to `want` free SMs of `partition` to `holdings`, lowest group first; returns how many.
  int TakeFree(const sched::GroupRange& partition, int want, SmHoldings& holdings);
  // Returns every SM of `holdings` to the pool.
  void Release(SmHoldings& holdings);
  // Moves up to `want` SMs of `partition` from `from` to `to` (preemption); returns how many.
  static int Move(const sched::GroupRange& partition, int want, SmHoldings& from, SmHoldings& to);
  static int Count(const SmHoldings& holdings);
  // SMs of `holdings` inside `partition`.
  static int CountIn(const sched::GroupRange& partition, const SmHoldings& holdings);

 private:
  std::vector<int> free_;
};

}  // namespace missile::sim
