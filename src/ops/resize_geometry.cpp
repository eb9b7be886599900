#include "ops/resize_geometry.h"

#include <algorithm>
#include <cmath>

namespace missile::ops {
namespace {

using Mode = ResizeGeometry::Mode;
using Transform = ResizeGeometry::Transform;
using Rounding = ResizeGeometry::Rounding;

Result<Mode> ParseMode(const std::string& name) {
  if (name == "nearest") return Mode::kNearest;
  if (name == "linear") return Mode::kLinear;
  return Error(ErrorCode::kUnimplemented, "Resize mode '{}' is not supported (nearest, linear are)", name);
}

Result<Transform> ParseTransform(const std::string& name) {
  if (name == "half_pixel") return Transform::kHalfPixel;
  if (name == "pytorch_half_pixel") return Transform::kPytorchHalfPixel;
  if (name == "align_corners") return Transform::kAlignCorners;
  if (name == "asymmetric") return Transform::kAsymmetric;
  if (name == "tf_half_pixel_for_nn") return Transform::kTfHalfPixelForNn;
  return Error(ErrorCode::kUnimplemented, "Resize coordinate_transformation_mode '{}' is not supported",
               name);
}

Result<Rounding> ParseRounding(const std::string& name) {
  if (name == "round_prefer_floor") return Rounding::kRoundPreferFloor;
  if (name == "round_prefer_ceil") return Rounding::kRoundPreferCeil;
  if (name == "floor") return Rounding::kFloor;
  if (name == "ceil") return Rounding::kCeil;
  return Error(ErrorCode::kUnimplemented, "Resize nearest_mode '{}' is not supported", name);
}

// The output's shape from sizes (input 3) or scales (input 2), and the scales the coordinate transforms use.
Status ResolveScalesAndSizes(const NodeContext& ctx, ResizeGeometry& g) {
  const Shape& in = g.input;
  // Exactly one of scales and sizes is given; an empty tensor counts as absent.
  const Tensor* scales = ctx.constant_input(2);
  const bool has_scales = ctx.has_input(2) && (scales == nullptr || scales->num_elements() > 0);
  const bool has_sizes = ctx.has_input(3);
  if (has_scales == has_sizes) return InvalidNode("expected exactly one of scales and sizes");
  if (has_sizes) {
    MISSILE_ASSIGN_OR_RETURN(g.output, ctx.ConstantInts(3));
    if (g.output.size() != in.size()) {
      return InvalidNode("expected {} sizes, got {}", in.size(), ShapeToString(g.output));
    }
    for (size_t i = 0; i < in.size(); ++i) {
      g.scales.push_back(in[i] == 0 ? 1.0f : static_cast<float>(g.output[i]) / static_cast<float>(in[i]));
    }
    return Status::Ok();
  }
  MISSILE_ASSIGN_OR_RETURN(std::vector<double> factors, ctx.ConstantDoubles(2));
  if (factors.size() != in.size())
    return InvalidNode("expected {} scales, got {}", in.size(), factors.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(factors[i] > 0)) return InvalidNode("expected positive scales, got {}", factors[i]);
    // In float32, as the scales are stored, so the size agrees with the kernels' float coordinates.
    g.scales.push_back(static_cast<float>(factors[i]));
    g.output.push_back(static_cast<int64_t>(std::floor(static_cast<float>(in[i]) * g.scales.back())));
  }
  return Status::Ok();
}

}  // namespace

float ResizeGeometry::InputCoordinate(size_t d, int64_t x) const {
  const float xf = static_cast<float>(x);
  const float scale = scales[d];
  const int64_t in_len = input[d], out_len = output[d];
  switch (transform) {
    case Transform::kHalfPixel:
      return (xf + 0.5f) / scale - 0.5f;
    case Transform::kPytorchHalfPixel:
      return out_len > 1 ? (xf + 0.5f) / scale - 0.5f : 0.0f;
    case Transform::kAlignCorners:
      return out_len == 1 ? 0.0f : xf * static_cast<float>(in_len - 1) / static_cast<float>(out_len - 1);
    case Transform::kAsymmetric:
      return xf / scale;
    case Transform::kTfHalfPixelForNn:
      return (xf + 0.5f) / scale;
  }
  return xf;
}

int64_t ResizeGeometry::NearestIndex(size_t d, int64_t x) const {
  const float coordinate = InputCoordinate(d, x);
  float rounded = coordinate;
  switch (rounding) {
    case Rounding::kRoundPreferFloor:
      rounded = coordinate == std::floor(coordinate) + 0.5f ? std::floor(coordinate) : std::round(coordinate);
      break;
    case Rounding::kRoundPreferCeil:
      // std::round breaks ties away from zero: up for the coordinates >= 0 that matter (negatives clamp to
      // 0).
      rounded = std::round(coordinate);
      break;
    case Rounding::kFloor:
      rounded = std::floor(coordinate);
      break;
    case Rounding::kCeil:
      rounded = std::ceil(coordinate);
      break;
  }
  return std::clamp<int64_t>(static_cast<int64_t>(rounded), 0, input[d] - 1);
}

Result<ResizeGeometry> ResizeGeometry::From(const NodeContext& ctx) {
  ResizeGeometry g;
  g.input = ctx.input_shape(0);
  const Shape& in = g.input;
  MISSILE_ASSIGN_OR_RETURN(g.mode, ParseMode(ctx.attributes().String("mode", "nearest")));
  MISSILE_ASSIGN_OR_RETURN(
      g.transform, ParseTransform(ctx.attributes().String("coordinate_transformation_mode", "half_pixel")));
  if (g.mode == Mode::kNearest) {
    MISSILE_ASSIGN_OR_RETURN(g.rounding,
                             ParseRounding(ctx.attributes().String("nearest_mode", "round_prefer_floor")));
  }
  MISSILE_RETURN_IF_ERROR(ResolveScalesAndSizes(ctx, g));
  const Shape& out = g.output;
  if (g.mode == Mode::kLinear) {
    // Bilinear over the last two dims; the leading dims (N, C) must keep their size.
    if (in.size() < 2 || !std::equal(in.begin(), in.end() - 2, out.begin())) {
      return Error(ErrorCode::kUnimplemented, "linear Resize only resizes the last two dims, got {} to {}",
                   ShapeToString(in), ShapeToString(out));
    }
    if (ctx.input_dtype(0) != DataType::kFloat32 && ctx.input_dtype(0) != DataType::kFloat16) {
      return InvalidNode("linear Resize needs floating-point input, got {}",
                         DataTypeName(ctx.input_dtype(0)));
    }
  }
  for (size_t i = 0; i < in.size(); ++i) {
    if (out[i] < 0 || (in[i] == 0 && out[i] > 0)) {
      return InvalidNode("cannot resize {} to {}", ShapeToString(in), ShapeToString(out));
    }
  }
  return g;
}

}  // namespace missile::ops
