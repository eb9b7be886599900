#include "ops/resize_linear_taps.h"

#include <algorithm>

namespace missile::ops {

LinearTaps AxisLinearTaps(const ResizeGeometry& g, size_t d) {
  const int64_t in_len = g.input[d];
  LinearTaps taps;
  for (int64_t j = 0; j < g.output[d]; ++j) {
    // Outside the input the nearest edge element is used, as onnxruntime and PyTorch do.
    const float x = std::clamp(g.InputCoordinate(d, j), 0.0f, static_cast<float>(in_len - 1));
    const int64_t lo = std::min(static_cast<int64_t>(x), in_len - 1);
    taps.lo.push_back(lo);
    taps.hi.push_back(std::min(lo + 1, in_len - 1));
    taps.weight.push_back(x - static_cast<float>(lo));
  }
  return taps;
}

}  // namespace missile::ops
