// Where staging buffers come from. On the CPU: aligned host memory. On the GPU: pinned (page-locked) memory
// from cudaHostAlloc (cuda/pinned_host_allocator.h), which DMA can read without the driver's own staging
// copy.
#pragma once

#include <cstddef>

#include "core/status.h"

namespace missile::pcie {

// What to ask of a host allocator for memory that copies read: a cache line, which copy engines and vector
// loads want. Not a page: once a process holds many page-locked allocations, cudaHostAlloc hands out small
// ones inside larger ones, 512-byte aligned, and a page-aligned request would fail (docs/results/
// server-overhead-h200-2026-11-26.md).
inline constexpr size_t kCopyAlignment = 64;

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
