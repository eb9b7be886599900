// The taps of linear Resize along one axis: per output coordinate, the two input indices it blends and the
// weight of the second. Computed on the host in float32 exactly as the CPU kernel (ops/cpu/pad_resize.cpp)
// computes them, so the GPU kernel blends the same elements with the same weights.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/resize_geometry.h"

namespace missile::ops {

struct LinearTaps {
  std::vector<int64_t> lo, hi;
  std::vector<float> weight;  // of hi; lo's is 1 - weight
};

LinearTaps AxisLinearTaps(const ResizeGeometry& g, size_t d);

}  // namespace missile::ops
