// Sliding-window geometry shared by Conv and the pooling operators: kernel, strides, dilations, pads
// (explicit or from auto_pad) and ceil_mode, resolved once against the input's spatial dims. Shape inference
// and the kernels of every backend read this one struct, so the output-size arithmetic lives in exactly one
// place.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/shape.h"
#include "graph/attributes.h"

namespace missile::ops {

struct WindowGeometry {
  // One entry per spatial dim (the dims after N and C).
  Shape input;
  Shape kernel;
  Shape strides;
  Shape dilations;
  Shape pad_begin;
  Shape pad_end;
  Shape output;

  size_t rank() const { return input.size(); }
  // Extent of the kernel over the input once dilated: (k - 1) * d + 1.
  int64_t DilatedKernel(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  // A 1x1 window with stride 1 and no padding: the output is the input, position for position.
  bool IsPointwise() const;
};

// Reads kernel_shape, strides, dilations, pads, auto_pad and ceil_mode (attributes an operator does not
// define read as their ONNX defaults). `input_spatial` are X's spatial dims. `weight_kernel` are the spatial
// dims of Conv's weight, which kernel_shape may repeat but not contradict; pooling passes an empty span and
// must give kernel_shape.
Result<WindowGeometry> ParseWindowGeometry(const graph::Attributes& attributes,
                                           std::span<const int64_t> input_spatial,
                                           std::span<const int64_t> weight_kernel = {});

// The geometry with its spatial dims left-padded to three (size 1, kernel 1, stride 1, no pads), so one loop
// nest serves 1-D, 2-D and 3-D windows. Arrays index (depth, height, width).
struct Window3d {
  std::array<int64_t, 3> input{1, 1, 1};
  std::array<int64_t, 3> output{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> strides{1, 1, 1};
  std::array<int64_t, 3> dilations{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};

  int64_t input_size() const { return input[0] * input[1] * input[2]; }
  int64_t output_size() const { return output[0] * output[1] * output[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// Fails with kUnimplemented for more than three spatial dims.
Result<Window3d> ToWindow3d(const WindowGeometry& geometry);

// The steps j in [0, count) whose position offset + j * step lies inside [0, size).
struct StepRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
inline StepRange InsideSteps(int64_t offset, int64_t step, int64_t size, int64_t count) {
  auto ceil_div = [step](int64_t a) { return a <= 0 ? 0 : (a + step - 1) / step; };
  const int64_t end = std::min(count, ceil_div(size - offset));
  return {std::min(end, ceil_div(-offset)), end};
}

// Along one axis, for each kernel tap: the output positions at which that tap reads the input rather than the
// padding. Kernels that sweep a whole output row per tap use it.
std::vector<StepRange> OutputsInsidePerTap(const Window3d& window, size_t axis);
// Along one axis, for each output position: the taps of its window that read the input rather than the
// padding.
std::vector<StepRange> TapsInsidePerOutput(const Window3d& window, size_t axis);
// Along one axis, for each output position: how many taps of its window lie inside the padded input (the
// divisor of AveragePool with count_include_pad; a ceil_mode window may overhang the trailing pad).
std::vector<int64_t> TapsInsidePaddingPerOutput(const Window3d& window, size_t axis);

}  // namespace missile::ops
