#include "device/cuda/device_memory.h"

#include "device/cuda/cuda_status.h"

namespace missile::device::cuda {

Status DeviceMemory::Allocate(void** data, size_t bytes) {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMalloc(data, bytes));
  return Status::Ok();
}

void DeviceMemory::Free(void* data) {
  cudaFree(data);
}

Status PinnedMemory::Allocate(void** data, size_t bytes) {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMallocHost(data, bytes));
  return Status::Ok();
}

void PinnedMemory::Free(void* data) {
  cudaFreeHost(data);
}

}  // namespace missile::device::cuda
