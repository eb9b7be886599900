// Resize's attributes and its scales or sizes resolved once, for its schema and its kernels: the output's
// shape, the per-dim scale factors and the map from output coordinates to input coordinates.
#pragma once

#include <vector>

#include "ops/node_context.h"

namespace missile::ops {

struct ResizeGeometry {
  enum class Mode { kNearest, kLinear };
  // coordinate_transformation_mode (tf_crop_and_resize is not supported).
  enum class Transform { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn };
  // nearest_mode: how nearest mode turns a fractional input coordinate into an index.
  enum class Rounding { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

  Mode mode = Mode::kNearest;
  Transform transform = Transform::kHalfPixel;
  Rounding rounding = Rounding::kRoundPreferFloor;
  Shape input;
  Shape output;
  // Per dim: the factor the coordinate transforms divide by, as given (scales) or derived (sizes), in
  // float32 as ONNX stores it.
  std::vector<float> scales;

  // Output coordinate x along dim d mapped to the input's, in float as onnxruntime computes it.
  float InputCoordinate(size_t d, int64_t x) const;
  // The input index that nearest mode reads for output index x along dim d.
  int64_t NearestIndex(size_t d, int64_t x) const;

  static Result<ResizeGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
