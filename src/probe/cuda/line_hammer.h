// Kernels that hammer a few lines from every SM at once, timed with CUDA events: the measurements behind the
// atomic same-class oracle and the load-based validation.
//
// Every warp of a grid that fills all SMs walks the lines round-robin (warp w starts at line w mod n, so the
// traffic is spread evenly at every moment); each access covers the line with one coalesced request. The
// lines are few and stay in L2, so the kernel's time is set by the busiest L2 slice: n lines on n slices run
// n times faster than n lines on one.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <span>

#include "core/status.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/stream.h"
#include "probe/oracle.h"

namespace missile::probe::cuda {

class LineHammer {
 public:
  // The most lines one atomic hammer takes (they travel as kernel parameters).
  static constexpr int kMaxAtomicLines = 16;
  // The most lines one load hammer takes (they are copied to the device before the timed kernel).
  static constexpr int kMaxLoadLines = 4096;

  static Result<std::unique_ptr<LineHammer>> Create(int device, int blocks_per_sm = 4, int threads = 256);

  // Microseconds for `iterations` 32-bit atomic adds (red.relaxed.gpu) per warp onto 128 bytes of each line.
  Result<double> TimeAtomics(std::span<const Address> lines, int iterations);
  // Microseconds for `iterations` L2 loads (ld.global.cg, 256 bytes per warp) per warp.
  Result<double> TimeLoads(std::span<const Address> lines, int iterations);

  int sm_count() const { return sm_count_; }
  int blocks() const { return blocks_; }
  int threads() const { return threads_; }

 private:
  LineHammer() = default;
  // A short spin kernel, then the start event (see SpacerKernel); ElapsedUs waits for the stop event.
  Status StartTiming();
  Result<double> ElapsedUs();

  int sm_count_ = 0;
  int blocks_ = 0;
  int threads_ = 0;
  device::cuda::Stream stream_;
  device::cuda::Event start_;
  device::cuda::Event stop_;
  device::cuda::DeviceBuffer load_lines_;  // kMaxLoadLines addresses
  device::cuda::PinnedBuffer staged_lines_;
  device::cuda::DeviceBuffer sink_;  // where a load hammer writes if its checksum hits a magic value
};

}  // namespace missile::probe::cuda
