// The L2 set-aside on the GPU: the device-wide persisting size, per-stream access-policy windows over each
// LS tenant's hot regions, and a reset of persisting lines when the tenant set changes.
//
// What to cover and how much each tenant gets are pure decisions (l2_window.h, l2_setaside_plan.h); this is
// only the mechanism. Windows set here apply to kernels launched afterwards into the stream; a request run
// as a CUDA graph gets the window when it is captured (CudaExecutable copies the stream's window onto the
// kernel nodes), so after changing a window, drop captured graphs (CudaExecutable::DropGraph). Under MPS the
// persisting size can only be set when the MPS server starts (CUDA_DEVICE_DEFAULT_PERSISTING_L2_CACHE_
// PERCENTAGE_LIMIT); SetPersistingL2Limit then fails with the driver's message.
#pragma once

#include <cuda_runtime.h>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/l2_setaside_plan.h"
#include "memory/l2_window.h"

namespace missile::memory::cuda {

struct L2DeviceFacts {
  uint64_t l2_bytes = 0;
  uint64_t persisting_max_bytes = 0;
  uint64_t max_window_bytes = 0;
};
Result<L2DeviceFacts> QueryL2Facts(int device);

// cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize) and its read-back (the driver may round).
Status SetPersistingL2Limit(uint64_t bytes);
Result<uint64_t> PersistingL2Limit();
// Turns every persisting line back into a normal one (cudaCtxResetPersistingL2Cache).
Status ResetPersistingL2();

struct TenantStream {
  std::string tenant;
  cudaStream_t stream = nullptr;
  std::vector<HotRegion> regions;
};

class L2SetAsideController {
 public:
  // Applies `plan`: resets persisting lines if the plan changed since the last Apply, sets the device limit,
  // and gives each stream the window its tenant's budget buys (none for tenants without a budget). Returns
  // the window of every stream. The GPU should be idle: the limit and the reset act device-wide.
  Result<std::map<std::string, WindowChoice>> Apply(const L2SetAsidePlan& plan,
                                                    std::span<const TenantStream> streams,
                                                    const L2DeviceFacts& facts);
  // Removes the windows, sets the limit to 0 and resets persisting lines.
  Status Clear(std::span<const TenantStream> streams);

 private:
  std::optional<L2SetAsidePlan> applied_;
};

}  // namespace missile::memory::cuda
