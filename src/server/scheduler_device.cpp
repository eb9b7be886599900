#include "server/scheduler_device.h"

#include "server/cpu_scheduler_device.h"

namespace missile::server {

Result<std::unique_ptr<SchedulerDevice>> MakeSchedulerDevice(const std::string& backend) {
  if (backend == "cpu") return std::unique_ptr<SchedulerDevice>(new CpuSchedulerDevice());
  if (backend == "cuda") {
    return Error(ErrorCode::kUnavailable,
                 "the compute scheduler's CUDA device (sched/cuda: green-context partitions and their kernel "
                 "launcher) is not part of this build");
  }
  return Error(ErrorCode::kInvalidArgument, "no scheduler device for backend '{}'", backend);
}

}  // namespace missile::server
