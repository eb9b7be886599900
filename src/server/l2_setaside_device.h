// The GPU side of the server's L2 set-aside: the coordinator's mechanism (memory/l2_setaside_coordinator.h)
// acting on served models' sessions, plus what the server needs to plan with (the device's limits, where a
// model's weights lie). The CUDA implementation is server/cuda/cuda_l2_setaside_device.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "memory/l2_setaside_coordinator.h"
#include "server/served_model.h"

namespace missile::server {

class L2SetAsideDevice : public memory::L2SetAsideMechanism {
 public:
  virtual memory::L2Limits limits() const = 0;
  // One line for the server's start-up output: the L2 and its persisting maximum.
  virtual std::string Describe() const = 0;
  // Where a loaded model's weights lie on the device (its session's constants).
  virtual Result<std::vector<memory::HotRegion>> WeightRegions(const ServedModel& model) const = 0;
  // The models SetModelWindow may act on from now on (by ServedModel::instance_id), replacing the last set.
  // Held weakly: an unloaded model is freed as usual.
  virtual void Track(const std::vector<std::shared_ptr<ServedModel>>& models) = 0;
};

// The first GPU's set-aside; kUnavailable in a build without CUDA.
Result<std::unique_ptr<L2SetAsideDevice>> MakeL2SetAsideDevice();

}  // namespace missile::server
