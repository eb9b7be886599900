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

// One axis of a window in 32-bit arithmetic, for kernels whose every index fits (checked by FitsIn32Bits):
// the same answers as WindowAxis, with no division at all where the dilation is 1 (kUnitDilation), which is
// every pooling layer of the evaluation models. 64-bit divisions cost a GPU dozens of instructions each.
struct WindowAxis32 {
  int32_t input = 1;
  int32_t kernel = 1;
  int32_t stride = 1;
  int32_t dilation = 1;
  int32_t pad_begin = 0;
  int32_t padded = 1;  // pad_begin + input + pad_end

  // Whether every position and count of this axis fits in 32 bits (with room for a product of two).
  static bool Fits(const WindowAxis& a, int64_t output) {
    const int64_t limit = int64_t{1} << 30;
    return a.input + a.pad_begin + a.pad_end < limit && a.kernel * a.dilation < limit &&
           output * a.stride < limit;
  }
  static WindowAxis32 Of(const WindowAxis& a) {
    return {static_cast<int32_t>(a.input),     static_cast<int32_t>(a.kernel),
            static_cast<int32_t>(a.stride),    static_cast<int32_t>(a.dilation),
            static_cast<int32_t>(a.pad_begin), static_cast<int32_t>(a.pad_begin + a.input + a.pad_end)};
  }

  MISSILE_HOST_DEVICE int32_t Start(int32_t o) const { return o * stride - pad_begin; }
  // TapsInside: the taps j in [begin, end) whose position Start(o) + j * dilation lies in [0, input).
  template <bool kUnitDilation>
  MISSILE_HOST_DEVICE void TapsInside(int32_t o, int32_t* begin, int32_t* end) const {
    Inside<kUnitDilation>(Start(o), input, begin, end);
  }
  // TapsInsidePadding: how many taps lie inside the padded input.
  template <bool kUnitDilation>
  MISSILE_HOST_DEVICE int32_t TapsInsidePadding(int32_t o) const {
    int32_t begin, end;
    Inside<kUnitDilation>(o * stride, padded, &begin, &end);
    return end - begin;
  }

 private:
  // InsideStepsHD(offset, dilation, size, kernel).
  template <bool kUnitDilation>
  MISSILE_HOST_DEVICE void Inside(int32_t offset, int32_t size, int32_t* begin, int32_t* end) const {
    int32_t limit, first;
    if constexpr (kUnitDilation) {
      limit = size - offset > 0 ? size - offset : 0;
      first = -offset > 0 ? -offset : 0;
    } else {
      limit = size - offset > 0 ? (size - offset + dilation - 1) / dilation : 0;
      first = -offset > 0 ? (-offset + dilation - 1) / dilation : 0;
    }
    *end = kernel < limit ? kernel : limit;
    *begin = *end < first ? *end : first;
  }
};

}  // namespace missile::ops
