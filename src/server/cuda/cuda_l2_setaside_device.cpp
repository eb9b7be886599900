#include "server/cuda/cuda_l2_setaside_device.h"

#include "device/cuda/access_policy.h"
#include "memory/vram_quota.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_executable.h"

namespace missile::server {

Result<std::unique_ptr<CudaL2SetAsideDevice>> CudaL2SetAsideDevice::Create() {
  MISSILE_ASSIGN_OR_RETURN(const memory::cuda::L2DeviceFacts facts, memory::cuda::QueryL2Facts(0));
  if (facts.persisting_max_bytes == 0 || facts.max_window_bytes == 0) {
    return Error(ErrorCode::kUnavailable, "the GPU has no persisting L2 (compute capability below 8.0)");
  }
  return std::unique_ptr<CudaL2SetAsideDevice>(new CudaL2SetAsideDevice(facts));
}

memory::L2Limits CudaL2SetAsideDevice::limits() const {
  return {facts_.persisting_max_bytes, facts_.max_window_bytes};
}

std::string CudaL2SetAsideDevice::Describe() const {
  return fmt::format("L2 {}, persisting lines up to {}, one access window per stream up to {}",
                     memory::FormatBytes(facts_.l2_bytes), memory::FormatBytes(facts_.persisting_max_bytes),
                     memory::FormatBytes(facts_.max_window_bytes));
}

Result<std::vector<memory::HotRegion>> CudaL2SetAsideDevice::WeightRegions(const ServedModel& model) const {
  const auto* backend = dynamic_cast<const runtime::cuda::CudaBackend*>(&model.session().backend());
  if (backend == nullptr) {
    return Error(ErrorCode::kInternal, "model '{}' does not run on the CUDA backend", model.name());
  }
  std::vector<memory::HotRegion> regions;
  for (const auto& region : backend->constants().regions()) {
    regions.push_back({reinterpret_cast<uint64_t>(region.data), region.bytes, 1.0});
  }
  return regions;
}

void CudaL2SetAsideDevice::Track(const std::vector<std::shared_ptr<ServedModel>>& models) {
  std::lock_guard lock(mutex_);
  models_.clear();
  for (const auto& model : models) models_.emplace(model->instance_id(), model);
}

Status CudaL2SetAsideDevice::SetPersistingLimit(uint64_t bytes) {
  return memory::cuda::SetPersistingL2Limit(bytes);
}

Status CudaL2SetAsideDevice::ResetPersistingLines() {
  return memory::cuda::ResetPersistingL2();
}

Status CudaL2SetAsideDevice::SetModelWindow(uint64_t instance, const memory::WindowChoice& window) {
  std::shared_ptr<ServedModel> model;
  {
    std::lock_guard lock(mutex_);
    auto it = models_.find(instance);
    if (it != models_.end()) model = it->second.lock();
  }
  if (model == nullptr) return Error(ErrorCode::kNotFound, "model instance {} is not loaded", instance);
  const auto* backend = dynamic_cast<const runtime::cuda::CudaBackend*>(&model->session().backend());
  auto* executable = dynamic_cast<runtime::cuda::CudaExecutable*>(&model->executable());
  if (backend == nullptr || executable == nullptr) {
    return Error(ErrorCode::kInternal, "model '{}' does not run on the CUDA backend", model->name());
  }
  MISSILE_RETURN_IF_ERROR(device::cuda::SetStreamWindow(backend->context().stream(),
                                                        {window.base, window.bytes, window.hit_ratio}));
  // Kernel nodes of a captured graph keep the window they were captured with.
  executable->DropGraph();
  return Status::Ok();
}

}  // namespace missile::server
