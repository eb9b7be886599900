// VmmPageSource on the GPU: each page is its own cuMemCreate allocation mapped in its own reserved range
// (device/cuda/vmm.h), so pages come and go independently.
#pragma once

#include <map>

#include "device/cuda/vmm.h"
#include "memory/vmm_placement.h"

namespace missile::memory::cuda {

class CudaVmmPageSource final : public VmmPageSource {
 public:
  static Result<CudaVmmPageSource> Create(int device);

  uint64_t page_bytes() const override { return page_bytes_; }
  Result<uint64_t> MapPage() override;
  void UnmapPage(uint64_t device_address) override { pages_.erase(device_address); }

 private:
  int device_ = 0;
  uint64_t page_bytes_ = 0;
  std::map<uint64_t, device::cuda::VmmPages> pages_;  // by device address
};

}  // namespace missile::memory::cuda
