// Schemas of BatchNormalization (inference), LayerNormalization (opset 17) and InstanceNormalization.
#include "ops/op_schema.h"

namespace missile::ops {
namespace {

Status CheckFloat(const NodeContext& ctx, size_t i, const char* what) {
  if (!IsFloatingPoint(ctx.input_dtype(i))) {
    return InvalidNode("{} must be floating point, got {}", what, DataTypeName(ctx.input_dtype(i)));
  }
  return Status::Ok();
}

// Inputs [first, first + names.size()) must be 1-D with one value per channel.
Status CheckPerChannel(const NodeContext& ctx, size_t first, std::initializer_list<const char*> names,
                       int64_t channels) {
  size_t i = first;
  for (const char* name : names) {
    MISSILE_RETURN_IF_ERROR(CheckFloat(ctx, i, name));
    if (ctx.input_shape(i) != Shape{channels}) {
      return InvalidNode("{} must be [{}] (one value per channel), got {}", name, channels,
                         ShapeToString(ctx.input_shape(i)));
    }
    ++i;
  }
  return Status::Ok();
}

Result<std::vector<TensorSpec>> BatchNormInfer(const NodeContext& ctx) {
  if (ctx.attributes().Int("training_mode", 0) != 0) {
    return Error(ErrorCode::kUnimplemented,
                 "BatchNormalization in training mode is not supported (inference only)");
  }
  for (size_t i = 1; i < ctx.output_count(); ++i) {
    if (ctx.has_output(i)) {
      return Error(ErrorCode::kUnimplemented,
                   "BatchNormalization's training outputs (running or saved statistics) are not supported");
    }
  }
  MISSILE_RETURN_IF_ERROR(CheckFloat(ctx, 0, "X"));
  const Shape& x = ctx.input_shape(0);
  if (x.size() < 2) return InvalidNode("X must be [N, C, ...] (rank >= 2), got {}", ShapeToString(x));
  MISSILE_RETURN_IF_ERROR(CheckPerChannel(ctx, 1, {"scale", "B", "input_mean", "input_var"}, x[1]));
  return std::vector{ctx.input(0)};
}

Result<std::vector<TensorSpec>> InstanceNormInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(CheckFloat(ctx, 0, "input"));
  const Shape& x = ctx.input_shape(0);
  if (x.size() < 3)
    return InvalidNode("input must be [N, C, spatial...] (rank >= 3), got {}", ShapeToString(x));
  MISSILE_RETURN_IF_ERROR(CheckPerChannel(ctx, 1, {"scale", "B"}, x[1]));
  return std::vector{ctx.input(0)};
}

// Y has X's spec; the optional Mean and InvStdDev keep X's leading dims and have size 1 over the normalized
// ones.
Result<std::vector<TensorSpec>> LayerNormInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(CheckFloat(ctx, 0, "X"));
  const Shape& x = ctx.input_shape(0);
  if (x.empty()) return InvalidNode("X must have at least one dim");
  const int64_t axis_attribute = ctx.attributes().Int("axis", -1);
  auto normalized_axis = NormalizeAxis(axis_attribute, x.size());
  if (!normalized_axis.ok()) {
    return InvalidNode("axis {} is out of range for X {}", axis_attribute, ShapeToString(x));
  }
  const int axis = *normalized_axis;
  const std::span<const int64_t> normalized = std::span(x).subspan(static_cast<size_t>(axis));
  for (size_t i = 1; i < ctx.input_count(); ++i) {
    if (!ctx.has_input(i)) continue;
    const char* name = i == 1 ? "Scale" : "B";
    MISSILE_RETURN_IF_ERROR(CheckFloat(ctx, i, name));
    const Shape& s = ctx.input_shape(i);
    auto broadcast = BroadcastShapes(s, normalized);
    if (s.size() > normalized.size() || !broadcast.ok() ||
        *broadcast != Shape(normalized.begin(), normalized.end())) {
      return InvalidNode("{} {} does not broadcast to the normalized dims {}", name, ShapeToString(s),
                         ShapeToString(normalized));
    }
  }
  if (ctx.attributes().Int("stash_type", 1) != 1) {
    return Error(ErrorCode::kUnimplemented,
                 "LayerNormalization with stash_type {} (only 1, float32, is supported)",
                 ctx.attributes().Int("stash_type", 1));
  }
  Shape stats = x;
  std::fill(stats.begin() + axis, stats.end(), 1);
  return std::vector{ctx.input(0), TensorSpec{DataType::kFloat32, stats},
                     TensorSpec{DataType::kFloat32, stats}};
}

constexpr OpSchema kSchemas[] = {
    OpSchema{.op_type = "BatchNormalization",
             .min_inputs = 5,
             .max_inputs = 5,
             .max_outputs = 5,
             .infer = BatchNormInfer},
    OpSchema{
        .op_type = "InstanceNormalization", .min_inputs = 3, .max_inputs = 3, .infer = InstanceNormInfer},
    OpSchema{.op_type = "LayerNormalization",
             .min_inputs = 2,
             .max_inputs = 3,
             .max_outputs = 3,
             .infer = LayerNormInfer},
};

}  // namespace

std::span<const OpSchema> NormalizationSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
