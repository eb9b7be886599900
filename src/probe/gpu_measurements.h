// What the GPU side of the channel probe measures besides the classification: how the atomic oracle was
// calibrated, and the read-bandwidth sweep. Plain data: filled by probe/cuda, reported by channel_report,
// so that reports can be built and tested without a GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace missile::probe {

// One hammered-set size: `group_size` distinct-class lines plus one more that is either one of them again
// (a match: two shares of the traffic on one slice) or a line of yet another class (no match).
struct GroupContrast {
  int group_size = 1;
  int iterations = 0;   // atomic adds per warp for this size
  double match_us = 0;  // median kernel time
  double no_match_us = 0;
  double match_spread = 0;  // (max - min) / median over the repeats
  double no_match_spread = 0;
  double threshold_us = 0;  // geometric mean of the two: slower means "same"
  bool usable = false;      // contrast at least the minimum and the two sets of times do not overlap

  double contrast() const { return no_match_us > 0 ? match_us / no_match_us : 0; }
};

struct OracleCalibration {
  int sm_count = 0;
  int blocks = 0;
  int threads_per_block = 0;
  double target_us = 0;       // what one line hammered alone was tuned to take
  double single_line_us = 0;  // measured: one line (equivalently a line twice)
  // Diagnostic: pairs of different lines `twin_offset` bytes apart (512: bit 9, which shared/CHANNELS.md
  // found not to enter the hash, so the pair should share a slice). Near single_line_us when the slice, not
  // the line, limits the atomics — what the oracle relies on; near the no-match time otherwise.
  uint64_t twin_offset = 0;
  double twin_pair_us = 0;
  std::vector<GroupContrast> groups;
  int chosen_group_size = 1;  // the largest size whose every smaller size is usable too
  int calibration_measurements = 0;
  double seconds = 0;
  // Filled as the oracle runs: re-measurements of the single line, and how far it drifted.
  int recalibrations = 0;
  double max_drift = 0;  // largest |t / t_calibrated - 1| of the single-line time
  int64_t queries = 0;
  double query_seconds = 0;  // wall time of all queries, host round trips included
};

struct BandwidthPoint {
  uint64_t block_bytes = 0;   // read this many bytes ...
  uint64_t period_bytes = 0;  // ... out of every period ...
  uint64_t offset_bytes = 0;  // ... starting at this offset within it
  uint64_t bytes_read = 0;
  bool measured = false;
  std::string skipped_because;  // when not measured
  double gb_per_s = 0;          // median over the repeats
  double of_full = 0;           // relative to reading the whole buffer
};

struct BandwidthSweep {
  uint64_t buffer_bytes = 0;
  uint64_t l2_bytes = 0;
  uint64_t min_bytes_read = 0;  // smaller reads would be served from L2 or bound by latency: skipped
  int repeats = 0;
  double full_read_gb_per_s = 0;
  std::vector<BandwidthPoint> points;
  double seconds = 0;
};

}  // namespace missile::probe
