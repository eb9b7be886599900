#include "memory/cuda/l2_setaside.h"

#include "device/cuda/access_policy.h"
#include "device/cuda/cuda_status.h"

namespace missile::memory::cuda {

Result<L2DeviceFacts> QueryL2Facts(int device) {
  cudaDeviceProp prop{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, device));
  return L2DeviceFacts{static_cast<uint64_t>(prop.l2CacheSize),
                       static_cast<uint64_t>(prop.persistingL2CacheMaxSize),
                       static_cast<uint64_t>(prop.accessPolicyMaxWindowSize)};
}

Status SetPersistingL2Limit(uint64_t bytes) {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, bytes));
  return Status::Ok();
}

Result<uint64_t> PersistingL2Limit() {
  size_t bytes = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceGetLimit(&bytes, cudaLimitPersistingL2CacheSize));
  return static_cast<uint64_t>(bytes);
}

Status ResetPersistingL2() {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaCtxResetPersistingL2Cache());
  return Status::Ok();
}

Result<std::map<std::string, WindowChoice>> L2SetAsideController::Apply(const L2SetAsidePlan& plan,
                                                                        std::span<const TenantStream> streams,
                                                                        const L2DeviceFacts& facts) {
  if (plan.device_limit_bytes > facts.persisting_max_bytes) {
    return Error(ErrorCode::kInvalidArgument, "plan sets aside {} bytes, the device allows {}",
                 plan.device_limit_bytes, facts.persisting_max_bytes);
  }
  if (!applied_ || NeedsReset(*applied_, plan)) MISSILE_RETURN_IF_ERROR(ResetPersistingL2());
  MISSILE_RETURN_IF_ERROR(SetPersistingL2Limit(plan.device_limit_bytes));
  std::map<std::string, WindowChoice> windows;
  for (const TenantStream& s : streams) {
    const auto budget = plan.budgets.find(s.tenant);
    const WindowChoice choice = budget == plan.budgets.end()
                                    ? WindowChoice{}
                                    : ChooseAccessWindow(s.regions, budget->second, facts.max_window_bytes);
    MISSILE_RETURN_IF_ERROR(
        device::cuda::SetStreamWindow(s.stream, {choice.base, choice.bytes, choice.hit_ratio}));
    windows[s.tenant] = choice;
  }
  applied_ = plan;
  return windows;
}

Status L2SetAsideController::Clear(std::span<const TenantStream> streams) {
  for (const TenantStream& s : streams) MISSILE_RETURN_IF_ERROR(device::cuda::SetStreamWindow(s.stream, {}));
  MISSILE_RETURN_IF_ERROR(SetPersistingL2Limit(0));
  MISSILE_RETURN_IF_ERROR(ResetPersistingL2());
  applied_.reset();
  return Status::Ok();
}

}  // namespace missile::memory::cuda
