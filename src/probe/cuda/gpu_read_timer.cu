#include <algorithm>
#include <cmath>

#include "probe/cuda/gpu_read_timer.h"

namespace missile::probe::cuda {

Result<std::unique_ptr<GpuLineReadTimer>> GpuLineReadTimer::Create(LineHammer& hammer,
                                                                   std::span<const Address> calibration_lines,
                                                                   double target_us) {
  if (calibration_lines.empty() || target_us <= 0) {
    return Error(ErrorCode::kInvalidArgument, "the read timer needs calibration lines and a positive target");
  }
  std::unique_ptr<GpuLineReadTimer> timer(new GpuLineReadTimer(hammer));
  MISSILE_RETURN_IF_ERROR(hammer.TimeLoads(calibration_lines, timer->iterations_).status());  // warm-up
  for (int round = 0; round < 4; ++round) {
    MISSILE_ASSIGN_OR_RETURN(double us, hammer.TimeLoads(calibration_lines, timer->iterations_));
    const long scaled = std::lround(timer->iterations_ * target_us / us / 4.0) * 4;
    timer->iterations_ = static_cast<int>(std::clamp(scaled, 4L, 1L << 22));
  }
  return std::move(timer);  // nvcc does not move into the Result implicitly
}

Result<double> GpuLineReadTimer::TimeReads(std::span<const Address> lines) {
  return hammer_.TimeLoads(lines, iterations_);
}

}  // namespace missile::probe::cuda
