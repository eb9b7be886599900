// Where staging buffers come from. On the CPU: aligned host memory. On the GPU: pinned (page-locked) memory
// from cudaHostAlloc (cuda/pinned_host_allocator.h), which DMA can read without the driver's own staging
// copy.
#pragma once

#include <cstddef>

#include "core/status.h"

namespace missile::pcie {

class HostAllocator {
 public:
  virtual ~HostAllocator() = default;
  virtual Result<std::byte*> Allocate(size_t bytes, size_t alignment) = 0;
  virtual void Free(std::byte* data, size_t bytes, size_t alignment) = 0;
};

class AlignedHostAllocator final : public HostAllocator {
 public:
  Result<std::byte*> Allocate(size_t bytes, size_t alignment) override;
  void Free(std::byte* data, size_t bytes, size_t alignment) override;
};

}  // namespace missile::pcie
