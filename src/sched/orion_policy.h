// orion: the rule of Orion (Strati et al., EuroSys'24). LS kernels launch at once, on the whole GPU, at high
// stream priority. A BE kernel launches freely while no LS work is queued or running; beside LS work it
// launches only if
//   - it does not contend with the LS kernel in flight (or, between LS kernels, the LS kernel next): one is
//     compute-bound and the other memory-bound, by their profiles, for every active LS tenant;
//   - the SMs it needs (its block count) fit under a threshold: a configured one, or by default the SMs the
//   LS
//     kernels leave unused;
//   - no other BE kernel is in flight (Orion runs one BE kernel at a time beside LS).
// Orion does not partition SMs: every kernel goes to the whole GPU and the hardware places blocks.
#pragma once

#include "sched/policy.h"

namespace missile::sched {

class OrionPolicy final : public SchedulingPolicy {
 public:
  explicit OrionPolicy(int sm_threshold = 0) : sm_threshold_(sm_threshold) {}
  std::string_view name() const override { return "orion"; }
  Decisions Decide(const SchedulerView& view) const override;

 private:
  int sm_threshold_;  // 0: the SMs the LS kernels leave unused
};

}  // namespace missile::sched
