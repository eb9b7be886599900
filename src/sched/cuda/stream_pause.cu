#include <cmath>
#include <cstdint>

#include "device/cuda/cuda_status.h"
#include "sched/cuda/stream_pause.h"

namespace missile::sched::cuda {
namespace {

__device__ uint64_t GlobalNanos() {
  uint64_t ns;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
  return ns;
}

__global__ void PauseKernel(uint64_t nanoseconds) {
  const uint64_t start = GlobalNanos();
  while (GlobalNanos() - start < nanoseconds) __nanosleep(1000);
}

}  // namespace

Status EnqueuePause(cudaStream_t stream, double microseconds) {
  if (!(microseconds > 0)) return Status::Ok();
  PauseKernel<<<1, 1, 0, stream>>>(static_cast<uint64_t>(std::llround(microseconds * 1e3)));
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace missile::sched::cuda
