// The CUDA virtual-memory backend: units are pages of the driver's allocation granularity (2 MiB on the
// H200), each a separate physical allocation whose frame the driver picks. Which classes a fresh page touches
// is unknown until it is probed, so the allocator can only serve a tenant whose colors include every class
// that probed pages touch — on the H200 every 2 MiB page touches every class, so no proper subset of classes
// can be served (placement_analysis.h reports it with the numbers).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "memory/placement_backend.h"

namespace missile::memory {

// Maps single pages (memory/cuda implements it with cuMemCreate / cuMemMap).
class VmmPageSource {
 public:
  virtual ~VmmPageSource() = default;
  virtual uint64_t page_bytes() const = 0;
  // The device address of a freshly mapped page.
  virtual Result<uint64_t> MapPage() = 0;
  virtual void UnmapPage(uint64_t device_address) = 0;
};

class VmmPlacementBackend final : public PlacementBackend {
 public:
  explicit VmmPlacementBackend(VmmPageSource& pages) : pages_(pages) {}

  std::string name() const override { return "cuda-vmm"; }
  uint64_t unit_bytes() const override { return pages_.page_bytes(); }
  bool classes_known() const override { return false; }
  Result<PlacementUnit> Acquire() override;
  void Release(const PlacementUnit& unit) override { pages_.UnmapPage(unit.device_address); }

 private:
  VmmPageSource& pages_;
};

}  // namespace missile::memory
