#include "ops/window_geometry.h"

#include <algorithm>

#include "ops/node_context.h"

namespace missile::ops {
namespace {

// An ints attribute with one value per spatial dim (`per_dim` times `rank` values), or `fallback` everywhere.
Result<Shape> SpatialInts(const graph::Attributes& attributes, const std::string& name, size_t rank,
                          size_t per_dim, int64_t fallback) {
  if (!attributes.Has(name)) return Shape(rank * per_dim, fallback);
  MISSILE_ASSIGN_OR_RETURN(Shape values, attributes.Ints(name));
  if (values.size() != rank * per_dim) {
    return InvalidNode("attribute '{}' has {} values, expected {} for {} spatial dims", name, values.size(),
                       rank * per_dim, rank);
  }
  return values;
}

Result<Shape> KernelShape(const graph::Attributes& attributes, std::span<const int64_t> input_spatial,
                          std::span<const int64_t> weight_kernel) {
  const size_t rank = input_spatial.size();
  if (!attributes.Has("kernel_shape")) {
    if (weight_kernel.empty()) return InvalidNode("missing required attribute 'kernel_shape'");
    return Shape(weight_kernel.begin(), weight_kernel.end());
  }
  MISSILE_ASSIGN_OR_RETURN(Shape kernel, SpatialInts(attributes, "kernel_shape", rank, 1, 1));
  if (!weight_kernel.empty() &&
      !std::equal(kernel.begin(), kernel.end(), weight_kernel.begin(), weight_kernel.end())) {
    return InvalidNode("kernel_shape {} does not match the weight's spatial dims {}", ShapeToString(kernel),
                       ShapeToString(weight_kernel));
  }
  return kernel;
}

Status CheckPositive(const Shape& values, const char* what) {
  for (int64_t v : values) {
    if (v < 1) return InvalidNode("{} must be positive, got {}", what, ShapeToString(values));
  }
  return Status::Ok();
}

// SAME_*: the output keeps ceil(in / stride) positions and the pads are whatever that takes; the odd pixel
// goes at the end (SAME_UPPER) or the beginning (SAME_LOWER).
void ResolveSamePads(WindowGeometry& g, size_t i, bool upper) {
  g.output[i] = (g.input[i] + g.strides[i] - 1) / g.strides[i];
  const int64_t total =
      std::max<int64_t>(0, (g.output[i] - 1) * g.strides[i] + g.DilatedKernel(i) - g.input[i]);
  g.pad_begin[i] = upper ? total / 2 : total - total / 2;
  g.pad_end[i] = total - g.pad_begin[i];
}

// Explicit pads (NOTSET, or VALID with zero pads). With ceil_mode a partial window at the end counts, but
// only if it starts inside the input or the leading pad (PyTorch's rule, which ONNX follows): a window lying
// wholly in the trailing pad is dropped.
Status ResolveExplicitOutput(WindowGeometry& g, size_t i, bool ceil_mode) {
  const int64_t span = g.input[i] + g.pad_begin[i] + g.pad_end[i] - g.DilatedKernel(i);
  if (span < 0) {
    return InvalidNode("the window ({} dilated) is larger than the padded input ({}) in spatial dim {}",
                       g.DilatedKernel(i), g.input[i] + g.pad_begin[i] + g.pad_end[i], i);
  }
  g.output[i] = (ceil_mode ? (span + g.strides[i] - 1) / g.strides[i] : span / g.strides[i]) + 1;
  if (ceil_mode && (g.output[i] - 1) * g.strides[i] >= g.input[i] + g.pad_begin[i]) --g.output[i];
  return Status::Ok();
}

}  // namespace

bool WindowGeometry::IsPointwise() const {
  for (size_t i = 0; i < rank(); ++i) {
    if (kernel[i] != 1 || strides[i] != 1 || pad_begin[i] != 0 || pad_end[i] != 0) return false;
  }
  return true;
}

Result<WindowGeometry> ParseWindowGeometry(const graph::Attributes& attributes,
                                           std::span<const int64_t> input_spatial,
                                           std::span<const int64_t> weight_kernel) {
  const size_t rank = input_spatial.size();
  if (rank == 0) return InvalidNode("the input needs at least one spatial dim (N, C, spatial...)");
  WindowGeometry g;
  g.input.assign(input_spatial.begin(), input_spatial.end());
  MISSILE_ASSIGN_OR_RETURN(g.kernel, KernelShape(attributes, input_spatial, weight_kernel));
  MISSILE_ASSIGN_OR_RETURN(g.strides, SpatialInts(attributes, "strides", rank, 1, 1));
  MISSILE_ASSIGN_OR_RETURN(g.dilations, SpatialInts(attributes, "dilations", rank, 1, 1));
  MISSILE_ASSIGN_OR_RETURN(Shape pads, SpatialInts(attributes, "pads", rank, 2, 0));
  MISSILE_RETURN_IF_ERROR(CheckPositive(g.kernel, "kernel_shape"));
  MISSILE_RETURN_IF_ERROR(CheckPositive(g.strides, "strides"));
  MISSILE_RETURN_IF_ERROR(CheckPositive(g.dilations, "dilations"));
  for (int64_t p : pads) {
    if (p < 0) return InvalidNode("pads must not be negative, got {}", ShapeToString(pads));
  }
  const std::string auto_pad = attributes.String("auto_pad", "NOTSET");
  const bool ceil_mode = attributes.Int("ceil_mode", 0) != 0;
  g.output.resize(rank);
  if (auto_pad == "NOTSET") {
    g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
    g.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  } else if (auto_pad == "VALID" || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // auto_pad decides the pads; explicit ones are ignored, as onnxruntime does.
    g.pad_begin.assign(rank, 0);
    g.pad_end.assign(rank, 0);
  } else {
    return InvalidNode("auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '{}'", auto_pad);
  }
  for (size_t i = 0; i < rank; ++i) {
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      ResolveSamePads(g, i, auto_pad == "SAME_UPPER");
    } else {
      MISSILE_RETURN_IF_ERROR(ResolveExplicitOutput(g, i, ceil_mode && auto_pad == "NOTSET"));
    }
  }
  return g;
}

Result<Window3d> ToWindow3d(const WindowGeometry& geometry) {
  const size_t rank = geometry.rank();
  if (rank > 3) {
    return Error(ErrorCode::kUnimplemented, "windows over {} spatial dims are not supported (at most 3)",
                 rank);
  }
  Window3d w;
  const size_t offset = 3 - rank;
  for (size_t i = 0; i < rank; ++i) {
    w.input[offset + i] = geometry.input[i];
    w.output[offset + i] = geometry.output[i];
    w.kernel[offset + i] = geometry.kernel[i];
    w.strides[offset + i] = geometry.strides[i];
    w.dilations[offset + i] = geometry.dilations[i];
    w.pad_begin[offset + i] = geometry.pad_begin[i];
    w.pad_end[offset + i] = geometry.pad_end[i];
  }
  return w;
}

std::vector<StepRange> OutputsInsidePerTap(const Window3d& window, size_t axis) {
  std::vector<StepRange> ranges;
  for (int64_t k = 0; k < window.kernel[axis]; ++k) {
    ranges.push_back(InsideSteps(k * window.dilations[axis] - window.pad_begin[axis], window.strides[axis],
                                 window.input[axis], window.output[axis]));
  }
  return ranges;
}

std::vector<StepRange> TapsInsidePerOutput(const Window3d& window, size_t axis) {
  std::vector<StepRange> ranges;
  for (int64_t o = 0; o < window.output[axis]; ++o) {
    ranges.push_back(InsideSteps(o * window.strides[axis] - window.pad_begin[axis], window.dilations[axis],
                                 window.input[axis], window.kernel[axis]));
  }
  return ranges;
}

std::vector<int64_t> TapsInsidePaddingPerOutput(const Window3d& window, size_t axis) {
  const int64_t padded_size = window.pad_begin[axis] + window.input[axis] + window.pad_end[axis];
  std::vector<int64_t> counts;
  for (int64_t o = 0; o < window.output[axis]; ++o) {
    counts.push_back(
        InsideSteps(o * window.strides[axis], window.dilations[axis], padded_size, window.kernel[axis])
            .size());
  }
  return counts;
}

}  // namespace missile::ops
