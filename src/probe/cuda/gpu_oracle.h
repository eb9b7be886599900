// The same-class oracle on the GPU: do these lines share an L2 home slice? Answered by hammering them with
// atomics from every SM and timing it (line_hammer.h).
//
// With the traffic spread evenly over a set of n lines, the busiest slice sets the time. A pair on one slice
// takes as long as one line alone; on two slices, half as long. For a group query — a line x plus g lines of
// pairwise distinct classes — x matching a member puts two shares of the traffic on one slice (time ~ 2/(g+1)
// of one line's) while a non-matching x leaves every slice one share (~ 1/(g+1)): the same 2:1 contrast for
// every g, as long as the SMs can issue enough to keep g + 1 slices busy. Whether they can is measured, not
// assumed: calibration times, for every group size, a set with a duplicated line (a certain match) and a set
// of distinct-class lines (a certain non-match), and uses a size only when the two never overlap.
//
// Calibration, in order: (1) iterations per warp so that one line alone takes `target_us`; (2) the pair
// reference — a line hammered alone ("same") against random pairs, nearly all of which are in different
// classes on a GPU with tens of slices ("different"); (3) a set of lines in pairwise distinct classes, built
// with the pair test; (4) match / no-match times for each group size. Every size gets its own threshold, the
// geometric mean of its two medians. During the probe the single-line time is re-measured every few
// thousand queries and every threshold scaled with it, so a clock change does not bias the answers.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "probe/cuda/line_hammer.h"
#include "probe/gpu_measurements.h"
#include "probe/oracle.h"

namespace missile::probe::cuda {

struct GpuOracleOptions {
  double target_us = 60;         // one line hammered alone; pairs on two slices take half
  int max_group_size = 8;        // largest group calibrated (at most LineHammer::kMaxAtomicLines - 1)
  int calibration_lines = 24;    // random lines of the page used to calibrate
  int calibration_repeats = 5;   // timings per calibration set
  double min_contrast = 1.3;     // below this a size is unusable (ideal: 2)
  int recalibrate_every = 4000;  // queries between re-measurements of the single-line time
  uint64_t twin_offset = 512;    // the diagnostic pair distance (calibration.twin_pair_us); 0: skip
  uint64_t seed = 1;
};

class GpuAtomicOracle final : public SameClassOracle {
 public:
  // Calibrates on lines of the page at `page` (device address of `page_bytes` mapped bytes). Fails when even
  // pairs show no usable contrast.
  static Result<std::unique_ptr<GpuAtomicOracle>> Create(LineHammer& hammer, Address page,
                                                         uint64_t page_bytes, uint64_t granule_bytes,
                                                         const GpuOracleOptions& options);

  bool Same(Address a, Address b) override;
  int max_group_size() const override { return calibration_.chosen_group_size; }
  bool SameAsAny(Address a, std::span<const Address> group) override;

  const OracleCalibration& calibration() const { return calibration_; }
  // The first CUDA failure; answers given after it are meaningless ("different").
  const Status& status() const { return status_; }
  double seconds_per_query() const;

 private:
  GpuAtomicOracle(LineHammer& hammer, const GpuOracleOptions& options)
      : hammer_(hammer), options_(options), rng_(options.seed) {}

  Status Calibrate(Address page, uint64_t page_bytes, uint64_t granule_bytes);
  Result<double> Time(std::span<const Address> lines, int group_size);
  Result<std::vector<double>> Repeat(std::span<const Address> lines, int group_size, int repeats);
  // A pair decision during calibration: majority of three timings against the pair threshold.
  Result<bool> CalibratedDifferent(Address a, Address b);
  bool Answer(std::span<const Address> lines, int group_size);
  void Recalibrate();
  void Fail(Status status);

  LineHammer& hammer_;
  GpuOracleOptions options_;
  std::mt19937_64 rng_;
  OracleCalibration calibration_;
  std::vector<int> iterations_;     // by group size (index 0 unused)
  std::vector<double> thresholds_;  // by group size, at the calibrated clock
  Address reference_line_ = 0;      // the single line re-measured to follow the clock
  double scale_ = 1.0;              // current single-line time / calibrated one
  int64_t since_recalibration_ = 0;
  Status status_;
};

}  // namespace missile::probe::cuda
