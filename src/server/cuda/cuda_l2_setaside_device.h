// The server's L2 set-aside on the GPU (CUDA builds only): the persisting size and resets through
// memory/cuda/l2_setaside.h, a served model's window on its session's stream (device/cuda/access_policy.h),
// and a dropped CUDA graph so that the model's next request is captured with the new window.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "memory/cuda/l2_setaside.h"
#include "server/l2_setaside_device.h"

namespace missile::server {

class CudaL2SetAsideDevice final : public L2SetAsideDevice {
 public:
  static Result<std::unique_ptr<CudaL2SetAsideDevice>> Create();

  memory::L2Limits limits() const override;
  std::string Describe() const override;
  Result<std::vector<memory::HotRegion>> WeightRegions(const ServedModel& model) const override;
  void Track(const std::vector<std::shared_ptr<ServedModel>>& models) override;

  Status SetPersistingLimit(uint64_t bytes) override;
  Status ResetPersistingLines() override;
  Status SetModelWindow(uint64_t instance, const memory::WindowChoice& window) override;

 private:
  explicit CudaL2SetAsideDevice(const memory::cuda::L2DeviceFacts& facts) : facts_(facts) {}

  const memory::cuda::L2DeviceFacts facts_;
  std::mutex mutex_;
  std::map<uint64_t, std::weak_ptr<ServedModel>> models_;  // by instance
};

}  // namespace missile::server
