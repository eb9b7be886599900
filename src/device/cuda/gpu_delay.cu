#include "device/cuda/cuda_status.h"
#include "device/cuda/gpu_delay.h"

namespace missile::device::cuda {
namespace {

__global__ void DelayKernel(long long ns) {
  unsigned long long start;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  for (;;) {
    unsigned long long now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    if (static_cast<long long>(now - start) >= ns) break;
    __nanosleep(1000);
  }
}

}  // namespace

Status EnqueueGpuDelay(cudaStream_t stream, double microseconds) {
  if (!(microseconds >= 0)) return Error(ErrorCode::kInvalidArgument, "GPU delay of {} us", microseconds);
  DelayKernel<<<1, 1, 0, stream>>>(static_cast<long long>(microseconds * 1000.0));
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace missile::device::cuda
