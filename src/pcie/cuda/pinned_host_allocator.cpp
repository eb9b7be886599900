#include "pcie/cuda/pinned_host_allocator.h"

#include <cstdint>

#include "device/cuda/cuda_status.h"

namespace missile::pcie {

Result<std::byte*> PinnedHostAllocator::Allocate(size_t bytes, size_t alignment) {
  void* data = nullptr;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaHostAlloc(&data, bytes, cudaHostAllocDefault));
  // CUDA hands out whole pages; anything less would break the staging pool's promise.
  if (alignment != 0 && reinterpret_cast<uintptr_t>(data) % alignment != 0) {
    cudaFreeHost(data);
    return Error(ErrorCode::kInternal, "cudaHostAlloc returned {} for {} bytes, not {}-byte aligned", data,
                 bytes, alignment);
  }
  return static_cast<std::byte*>(data);
}

void PinnedHostAllocator::Free(std::byte* data, size_t bytes, size_t alignment) {
  if (data != nullptr) cudaFreeHost(data);
}

}  // namespace missile::pcie
