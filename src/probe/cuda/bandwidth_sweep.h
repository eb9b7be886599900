// The read-bandwidth sweep of shared/DEVICE.md, reproducible: read `block` bytes out of every `period` bytes
// of a large buffer, starting at `offset` within each period, and compare the bandwidth with reading the
// whole buffer.
//
// If a period's blocks all lay on a few memory channels, the read would be limited to those channels'
// bandwidth (a small fraction of the full one); bandwidth near the full read means the blocks are spread
// over (nearly) all channels. Points whose reads would fit in L2 (or be too few to keep HBM busy) are not
// measured: they would measure L2 or latency instead. L2 is flushed before every timing.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "probe/gpu_measurements.h"

namespace missile::probe::cuda {

struct BandwidthSweepOptions {
  int device = 0;
  uint64_t buffer_bytes = uint64_t{64} << 30;  // halved until the allocation succeeds (down to 4 GiB)
  std::vector<uint64_t> block_bytes = {256, 4096};
  std::vector<uint64_t> period_bytes = {4096, uint64_t{64} << 10, uint64_t{2} << 20};
  // Offsets as fractions of the period (rounded down to the block), e.g. 0 and 1/2.
  std::vector<double> offset_fractions = {0.0, 0.5};
  int repeats = 3;
  double min_reads_in_l2 = 2.0;  // a point must read at least this many times the L2 size
};

Result<BandwidthSweep> RunBandwidthSweep(const BandwidthSweepOptions& options);

}  // namespace missile::probe::cuda
