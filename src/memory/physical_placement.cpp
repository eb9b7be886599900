#include "memory/physical_placement.h"

#include <algorithm>

namespace missile::memory {

SimulatedPhysicalMemory::SimulatedPhysicalMemory(uint64_t base, uint64_t bytes, uint64_t frame_bytes,
                                                 uint64_t seed)
    : frame_bytes_(frame_bytes) {
  for (uint64_t offset = 0; frame_bytes > 0 && offset + frame_bytes <= bytes; offset += frame_bytes) {
    free_.push_back(base + offset);
  }
  std::mt19937_64 rng(seed);
  std::shuffle(free_.begin(), free_.end(), rng);
}

std::optional<uint64_t> SimulatedPhysicalMemory::AcquireFrame() {
  if (free_.empty()) return std::nullopt;
  const uint64_t frame = free_.back();
  free_.pop_back();
  return frame;
}

void SimulatedPhysicalMemory::ReleaseFrame(uint64_t physical_address) {
  free_.push_back(physical_address);
}

Result<PlacementUnit> PhysicalPlacementBackend::Acquire() {
  const std::optional<uint64_t> frame = source_.AcquireFrame();
  if (!frame) return Error(ErrorCode::kResourceExhausted, "{}: no free frame left", source_.name());
  return PlacementUnit{*frame, 0, source_.frame_bytes()};
}

Status PatchedDriverPlacement() {
  return Error(
      ErrorCode::kUnavailable,
      "physical placement needs a GPU kernel driver that reports and maps physical frames (the "
      "FGPU/Missile route: an ioctl added to a patched open-source NVIDIA kernel module); this machine "
      "runs the stock driver, which exposes neither, and a patched module cannot be loaded here. The "
      "physical backend is exercised only against simulated memory");
}

}  // namespace missile::memory
