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

bool PinnedMemory::Holds(const void* host, size_t bytes) {
  if (host == nullptr || bytes == 0) return false;
  // Both ends: a range that ran past its locked allocation would otherwise pass.
  const auto locked = [](const void* p) {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
      (void)cudaGetLastError();
      return false;
    }
    return attributes.type == cudaMemoryTypeHost;
  };
  return locked(host) && locked(static_cast<const std::byte*>(host) + bytes - 1);
}

}  // namespace missile::device::cuda
