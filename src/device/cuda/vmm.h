// The CUDA virtual-memory API (cuMemCreate / cuMemMap): physical allocations of the driver's granularity
// (2 MiB on the H200) mapped wherever we choose in a reserved virtual range.
//
// It is the finest physical unit a stock driver lets a process place: each page is its own physical
// allocation, mapped at a granularity-aligned virtual address, so an offset inside it equals the offset
// inside its physical frame — what the channel probe needs to classify lines page by page, and what a
// coloring allocator could hand out. The driver entry points are fetched through the runtime
// (cudaGetDriverEntryPointByVersion), so nothing links libcuda directly.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace missile::device::cuda {

// The minimum granularity of cuMemCreate for device memory on `device` (cuMemGetAllocationGranularity).
Result<uint64_t> VmmGranularity(int device);

// `count` pages of the granularity, each a separate physical allocation, mapped back to back in one reserved
// virtual range, readable and writable from `device`. Unmapped and freed on destruction; move-only.
class VmmPages {
 public:
  VmmPages() = default;
  static Result<VmmPages> Map(int device, int64_t count);
  VmmPages(VmmPages&& other) noexcept;
  VmmPages& operator=(VmmPages&& other) noexcept;
  ~VmmPages();

  uint64_t page_bytes() const { return page_bytes_; }
  int64_t count() const { return static_cast<int64_t>(handles_.size()); }
  // The device address of page i.
  uint64_t page(int64_t i) const { return base_ + static_cast<uint64_t>(i) * page_bytes_; }
  uint64_t base() const { return base_; }

 private:
  void Release();

  uint64_t base_ = 0;  // CUdeviceptr of the reserved range
  uint64_t reserved_bytes_ = 0;
  uint64_t page_bytes_ = 0;
  std::vector<uint64_t> handles_;  // CUmemGenericAllocationHandle of each page
  int64_t mapped_ = 0;             // pages mapped so far (a failed Map unwinds only these)
};

}  // namespace missile::device::cuda
