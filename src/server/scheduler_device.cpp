#include "server/scheduler_device.h"

#include "server/cpu_scheduler_device.h"
#ifdef MISSILE_HAVE_CUDA
#include "server/cuda/cuda_scheduler_device.h"
#endif

namespace missile::server {

Result<std::unique_ptr<SchedulerDevice>> MakeSchedulerDevice(const ServerConfig& config) {
  if (config.backend == "cpu") return std::unique_ptr<SchedulerDevice>(new CpuSchedulerDevice());
  if (config.backend == "cuda") {
#ifdef MISSILE_HAVE_CUDA
    if (!config.gpu_scheduler) {
      return Error(
          ErrorCode::kUnavailable,
          "the compute scheduler on the GPU is off (server.gpu_scheduler: false, the default until it "
          "has been measured on the GPU machine)");
    }
    MISSILE_ASSIGN_OR_RETURN(auto device, CudaSchedulerDevice::Create());
    return std::unique_ptr<SchedulerDevice>(std::move(device));
#else
    return Error(ErrorCode::kUnavailable, "this build has no CUDA scheduler device (built without CUDA)");
#endif
  }
  return Error(ErrorCode::kInvalidArgument, "no scheduler device for backend '{}'", config.backend);
}

}  // namespace missile::server
