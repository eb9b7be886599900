#include <algorithm>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/sm_census.h"

namespace missile::device::cuda {
namespace {

__device__ unsigned int SmId() {
  unsigned int id;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(id));
  return id;
}

__device__ unsigned long long GlobalTimerNs() {
  unsigned long long ns;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
  return ns;
}

// The shared memory is only reserved, never touched: more than half an SM's worth keeps a second block off
// the SM, so the first wave puts one block on every SM the stream may use.
__global__ void CensusKernel(int* sm_of_block, long long spin_ns) {
  extern __shared__ int reserved[];
  (void)reserved;
  if (threadIdx.x != 0) return;
  sm_of_block[blockIdx.x] = static_cast<int>(SmId());
  const unsigned long long start = GlobalTimerNs();
  while (static_cast<long long>(GlobalTimerNs() - start) < spin_ns) {
  }
}

}  // namespace

Result<std::vector<int>> RecordBlockSms(cudaStream_t stream, int blocks, int spin_us) {
  if (blocks <= 0 || spin_us < 0) {
    return Error(ErrorCode::kInvalidArgument, "SM census of {} blocks spinning {} us", blocks, spin_us);
  }
  int device = 0, per_sm = 0, per_block = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaDeviceGetAttribute(&per_block, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const int shared_bytes = std::min(per_sm / 2 + 1024, per_block);
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaFuncSetAttribute(CensusKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes));

  const size_t bytes = sizeof(int) * static_cast<size_t>(blocks);
  MISSILE_ASSIGN_OR_RETURN(DeviceBuffer ids, DeviceBuffer::Allocate(bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(ids.data(), 0xff, bytes, stream));
  CensusKernel<<<blocks, 32, shared_bytes, stream>>>(static_cast<int*>(ids.data()), 1000LL * spin_us);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  std::vector<int> sms(static_cast<size_t>(blocks), -1);
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(sms.data(), ids.data(), bytes, cudaMemcpyDeviceToHost, stream));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return sms;
}

}  // namespace missile::device::cuda
