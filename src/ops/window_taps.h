// Per output position of a pooling window: which taps read the input, and how many lie inside the padded
// input. The same arithmetic as InsideSteps / TapsInsidePerOutput / TapsInsidePaddingPerOutput of
// ops/window_geometry.h, callable from GPU kernels (which compute it per output instead of reading tables);
// the unit tests check the two agree.
#pragma once

#include <cstdint>

#include "ops/strided_index.h"  // MISSILE_HOST_DEVICE
#include "ops/window_geometry.h"

namespace missile::ops {

// ceil(a / step) for a > 0, else 0.
MISSILE_HOST_DEVICE int64_t StepsUpTo(int64_t a, int64_t step) {
  return a <= 0 ? 0 : (a + step - 1) / step;
}

// The steps j in [0, count) whose position offset + j * step lies inside [0, size): InsideSteps.
MISSILE_HOST_DEVICE StepRange InsideStepsHD(int64_t offset, int64_t step, int64_t size, int64_t count) {
  const int64_t limit = StepsUpTo(size - offset, step);
  const int64_t end = count < limit ? count : limit;
  const int64_t first = StepsUpTo(-offset, step);
  return {end < first ? end : first, end};
}

// One axis of a window: the scalars a kernel needs to find an output position's taps.
struct WindowAxis {
  int64_t input = 1;
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t pad_begin = 0;
  int64_t pad_end = 0;

  static WindowAxis Of(const Window3d& w, size_t axis) {
    return {w.input[axis],     w.kernel[axis],    w.strides[axis],
            w.dilations[axis], w.pad_begin[axis], w.pad_end[axis]};
  }
  // Input position of tap 0 of output position o (may lie in the leading pad).
  MISSILE_HOST_DEVICE int64_t Start(int64_t o) const { return o * stride - pad_begin; }
  // The taps of output position o that read the input rather than the padding (TapsInsidePerOutput).
  MISSILE_HOST_DEVICE StepRange TapsInside(int64_t o) const {
    return InsideStepsHD(Start(o), dilation, input, kernel);
  }
  // How many taps of output position o lie inside the padded input (TapsInsidePaddingPerOutput): the
  // divisor of AveragePool with count_include_pad.
  MISSILE_HOST_DEVICE int64_t TapsInsidePadding(int64_t o) const {
    const StepRange taps = InsideStepsHD(o * stride, dilation, pad_begin + input + pad_end, kernel);
    return taps.end - taps.begin;
  }
};

}  // namespace missile::ops
