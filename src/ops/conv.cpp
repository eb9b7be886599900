// Schema of Conv: ONNX's X, W, optional B, plus Missile's fused form (passes/fuse_*): an optional residual Z,
// the same shape as the output and added after the bias, and a fused activation (ops/activation.h) in
// attributes.
#include "ops/op_schema.h"
#include "ops/window_geometry.h"

namespace missile::ops {
namespace {

Status SameDtypeAsX(const NodeContext& ctx, size_t i, const char* what) {
  if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
    return InvalidNode("{} must have X's dtype {}, got {}", what, DataTypeName(ctx.input_dtype(0)),
                       DataTypeName(ctx.input_dtype(i)));
  }
  return Status::Ok();
}

// Checks X [N, C, spatial...] against W [M, C / group, kernel...] and returns M.
Result<int64_t> CheckWeight(const NodeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& w = ctx.input_shape(1);
  if (x.size() < 3) return InvalidNode("X must be [N, C, spatial...] (rank >= 3), got {}", ShapeToString(x));
  if (w.size() != x.size()) {
    return InvalidNode("W must have X's rank {} ([M, C/group, kernel...]), got {}", x.size(),
                       ShapeToString(w));
  }
  const int64_t group = ctx.attributes().Int("group", 1);
  if (group < 1) return InvalidNode("group must be positive, got {}", group);
  if (x[1] % group != 0) return InvalidNode("group {} does not divide the {} input channels", group, x[1]);
  if (w[0] % group != 0) return InvalidNode("group {} does not divide the {} output channels", group, w[0]);
  if (w[1] != x[1] / group) {
    return InvalidNode("W takes {} input channels per group, X gives {} ({} channels, group {})", w[1],
                       x[1] / group, x[1], group);
  }
  return w[0];
}

Result<std::vector<TensorSpec>> ConvInfer(const NodeContext& ctx) {
  if (!IsFloatingPoint(ctx.input_dtype(0))) {
    return InvalidNode("X must be floating point, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  MISSILE_RETURN_IF_ERROR(SameDtypeAsX(ctx, 1, "W"));
  MISSILE_ASSIGN_OR_RETURN(const int64_t out_channels, CheckWeight(ctx));
  const Shape& x = ctx.input_shape(0);
  const Shape& w = ctx.input_shape(1);
  MISSILE_ASSIGN_OR_RETURN(
      WindowGeometry geometry,
      ParseWindowGeometry(ctx.attributes(), std::span(x).subspan(2), std::span(w).subspan(2)));
  Shape output = {x[0], out_channels};
  output.insert(output.end(), geometry.output.begin(), geometry.output.end());

  if (ctx.has_input(2)) {
    MISSILE_RETURN_IF_ERROR(SameDtypeAsX(ctx, 2, "B"));
    if (ctx.input_shape(2) != Shape{out_channels}) {
      return InvalidNode("B must be [{}], got {}", out_channels, ShapeToString(ctx.input_shape(2)));
    }
  }
  if (ctx.has_input(3)) {
    MISSILE_RETURN_IF_ERROR(SameDtypeAsX(ctx, 3, "the residual Z"));
    if (ctx.input_shape(3) != output) {
      return InvalidNode("the residual Z must have the output's shape {}, got {}", ShapeToString(output),
                         ShapeToString(ctx.input_shape(3)));
    }
  }
  return std::vector{TensorSpec{ctx.input_dtype(0), output}};
}

constexpr OpSchema kSchemas[] = {
    OpSchema{.op_type = "Conv", .min_inputs = 2, .max_inputs = 4, .infer = ConvInfer},
};

}  // namespace

std::span<const OpSchema> ConvSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
