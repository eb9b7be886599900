// LineReadTimer on the GPU: a fixed number of L2 loads per warp over the set (LineHammer::TimeLoads), with
// the count calibrated once so that a set spread over many classes takes `target_us`.
#pragma once

#include <memory>

#include "probe/cuda/line_hammer.h"
#include "probe/line_read_timer.h"

namespace missile::probe::cuda {

class GpuLineReadTimer final : public LineReadTimer {
 public:
  // Calibrates on `calibration_lines` (lines of many classes: random lines of a page).
  static Result<std::unique_ptr<GpuLineReadTimer>> Create(LineHammer& hammer,
                                                          std::span<const Address> calibration_lines,
                                                          double target_us);

  Result<double> TimeReads(std::span<const Address> lines) override;
  int iterations() const { return iterations_; }

 private:
  explicit GpuLineReadTimer(LineHammer& hammer) : hammer_(hammer) {}

  LineHammer& hammer_;
  int iterations_ = 4;
};

}  // namespace missile::probe::cuda
