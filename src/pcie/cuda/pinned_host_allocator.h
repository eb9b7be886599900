// Staging buffers in page-locked host memory (cudaHostAlloc): the copy engine DMAs them directly, where a
// copy from pageable memory would go through the driver's own staging and block the issuing thread.
#pragma once

#include "pcie/host_allocator.h"

namespace missile::pcie {

class PinnedHostAllocator final : public HostAllocator {
 public:
  // Fails (kResourceExhausted when CUDA is out of memory) rather than return less aligned memory than asked.
  Result<std::byte*> Allocate(size_t bytes, size_t alignment) override;
  void Free(std::byte* data, size_t bytes, size_t alignment) override;
};

}  // namespace missile::pcie
