// Physical placement: memory handed out frame by frame with each frame's physical address known, so that a
// hash model of physical addresses tells which classes a frame touches before anyone uses it.
//
// A stock NVIDIA driver exposes neither physical addresses nor a way to pick frames. FGPU (Jain et al., RTAS
// 2019) and the Missile paper got both from a patched open-source kernel module (an ioctl that reports and
// maps physical frames). That route is not available on our machine (PatchedDriverPlacement says why at run
// time); the allocator is written against PhysicalFrameSource and tested with SimulatedPhysicalMemory.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/placement_backend.h"

namespace missile::memory {

class PhysicalFrameSource {
 public:
  virtual ~PhysicalFrameSource() = default;
  virtual std::string name() const = 0;
  virtual uint64_t frame_bytes() const = 0;
  // The physical address of a free frame, now owned by the caller; nullopt when none is left.
  virtual std::optional<uint64_t> AcquireFrame() = 0;
  virtual void ReleaseFrame(uint64_t physical_address) = 0;
};

// A simulated physical memory: `bytes` from `base` in frames of `frame_bytes`, handed out in a random order
// (a driver's free list after some uptime is not sorted), released frames reused first.
class SimulatedPhysicalMemory final : public PhysicalFrameSource {
 public:
  SimulatedPhysicalMemory(uint64_t base, uint64_t bytes, uint64_t frame_bytes, uint64_t seed);

  std::string name() const override { return "simulated physical memory"; }
  uint64_t frame_bytes() const override { return frame_bytes_; }
  std::optional<uint64_t> AcquireFrame() override;
  void ReleaseFrame(uint64_t physical_address) override;
  int64_t free_frames() const { return static_cast<int64_t>(free_.size()); }

 private:
  uint64_t frame_bytes_;
  std::vector<uint64_t> free_;  // taken from the back
};

// Units are frames; the model must be a hash of physical addresses.
class PhysicalPlacementBackend final : public PlacementBackend {
 public:
  explicit PhysicalPlacementBackend(PhysicalFrameSource& source) : source_(source) {}

  std::string name() const override { return "physical (" + source_.name() + ")"; }
  uint64_t unit_bytes() const override { return source_.frame_bytes(); }
  bool classes_known() const override { return true; }
  Result<PlacementUnit> Acquire() override;
  void Release(const PlacementUnit& unit) override { source_.ReleaseFrame(unit.address); }

 private:
  PhysicalFrameSource& source_;
};

// Whether physical placement through a patched driver is possible here: always kUnavailable in this build,
// with what it would take.
Status PatchedDriverPlacement();

}  // namespace missile::memory
