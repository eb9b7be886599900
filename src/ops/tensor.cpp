// Schemas of the data-movement and shape operators: views (Reshape, Flatten, Squeeze, Unsqueeze), copies that
// rearrange elements (Transpose, Concat, Split, Slice, Gather, Expand, Tile, Pad, Resize, ScatterND),
// generators (Constant, ConstantOfShape, Range), shape queries (Shape, Size) and the per-axis scans (CumSum,
// ArgMax/ArgMin).
//
// Shape-like operands (Reshape's shape, Slice's starts, Pad's pads, ...) must be constants: Missile plans
// every buffer ahead of time, so an output shape may depend on values only when those values are known at
// load. Where a kernel needs the operands resolved as inference resolves them, both read one geometry struct
// (axis_geometry.h, slice_geometry.h, pad_geometry.h, resize_geometry.h, tensor_geometry.h).
#include <algorithm>
#include <cmath>

#include "ops/axis_geometry.h"
#include "ops/op_schema.h"
#include "ops/pad_geometry.h"
#include "ops/resize_geometry.h"
#include "ops/slice_geometry.h"
#include "ops/tensor_geometry.h"

namespace missile::ops {
namespace {

using Specs = Result<std::vector<TensorSpec>>;

Specs One(DataType dtype, Shape shape) {
  return std::vector{TensorSpec{dtype, std::move(shape)}};
}

// ---- Views ------------------------------------------------------------------------------------------------

Specs ReshapeInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> target, ctx.ConstantInts(1));
  const Shape& in = ctx.input_shape(0);
  // allowzero=1 makes 0 a literal empty dim; by default 0 copies the input's dim at that position.
  const bool allowzero = ctx.attributes().Int("allowzero", 0) != 0;
  Shape out(target.size());
  std::optional<size_t> inferred;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t dim = target[i];
    if (dim == 0 && !allowzero) {
      if (i >= in.size()) {
        return InvalidNode("shape {} copies dim {} of a rank-{} input", ShapeToString(target), i, in.size());
      }
      dim = in[i];
    }
    if (dim == -1) {
      if (inferred) return InvalidNode("shape {} has more than one -1", ShapeToString(target));
      inferred = i;
      continue;
    }
    if (dim < 0) return InvalidNode("shape {} has a negative dim {}", ShapeToString(target), dim);
    out[i] = dim;
    known *= dim;
  }
  const int64_t total = NumElements(in);
  if (inferred) {
    if (known == 0 || total % known != 0) {
      return InvalidNode("cannot infer the -1 of shape {} for {} elements {}", ShapeToString(target), total,
                         ShapeToString(in));
    }
    out[*inferred] = total / known;
  } else if (known != total) {
    return InvalidNode("expected a shape of {} elements like {}, got {}", total, ShapeToString(in),
                       ShapeToString(target));
  }
  return One(ctx.input_dtype(0), std::move(out));
}

Specs FlattenInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.attributes().Int("axis", 1);
  // Unlike most axes, Flatten's may equal the rank (everything goes to the first dim).
  if (axis < -rank || axis > rank) return InvalidNode("expected axis in [{}, {}], got {}", -rank, rank, axis);
  if (axis < 0) axis += rank;
  const size_t split = static_cast<size_t>(axis);
  return One(ctx.input_dtype(0), {DimProduct(in, 0, split), DimProduct(in, split, in.size())});
}

Specs SqueezeInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.OptionalInts(1, {}));
  // Without axes (or with none listed), every dim of size 1 goes.
  std::vector<bool> squeezed(in.size(), false);
  if (!axes.empty()) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int> normalized, ResolveAxes(axes, in.size()));
    for (int axis : normalized) {
      if (in[axis] != 1) {
        return InvalidNode("expected dim {} of {} to be 1, got {}", axis, ShapeToString(in), in[axis]);
      }
      squeezed[axis] = true;
    }
  } else {
    for (size_t i = 0; i < in.size(); ++i) squeezed[i] = in[i] == 1;
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!squeezed[i]) out.push_back(in[i]);
  }
  return One(ctx.input_dtype(0), std::move(out));
}

Specs UnsqueezeInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.ConstantInts(1));
  // Axes index the output, whose rank counts the inserted dims.
  const size_t rank = in.size() + axes.size();
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> normalized, ResolveAxes(axes, rank));
  Shape out(rank);
  auto next = in.begin();
  for (size_t i = 0; i < rank; ++i) {
    const bool inserted =
        std::find(normalized.begin(), normalized.end(), static_cast<int>(i)) != normalized.end();
    out[i] = inserted ? 1 : *next++;
  }
  return One(ctx.input_dtype(0), std::move(out));
}

// ---- Rearranging copies -----------------------------------------------------------------------------------

Specs SplitInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(SplitGeometry g, SplitGeometry::From(ctx));
  std::vector<TensorSpec> specs;
  for (int64_t size : g.sizes) {
    Shape shape = ctx.input_shape(0);
    shape[g.axis] = size;
    specs.push_back({ctx.input_dtype(0), std::move(shape)});
  }
  return specs;
}

Specs GatherInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(GatherGeometry g, GatherGeometry::From(ctx));
  // Constant indices are checked now, so a bad model fails at load rather than on its first request.
  if (ctx.constant_input(1) != nullptr) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> indices, ctx.ConstantInts(1));
    const int64_t dim = g.data.dim;
    for (int64_t index : indices) {
      if (index < -dim || index >= dim) {
        return InvalidNode("expected indices in [{}, {}) for axis {} of {}, got {}", -dim, dim, g.axis,
                           ShapeToString(ctx.input_shape(0)), index);
      }
    }
  }
  return One(ctx.input_dtype(0), std::move(g.output));
}

// ---- Generators -------------------------------------------------------------------------------------------

Result<Tensor> ConstantValue(const NodeContext& ctx) {
  const graph::Attributes& attributes = ctx.attributes();
  if (attributes.all().size() != 1) {
    return InvalidNode("expected exactly one value attribute, got {}", attributes.all().size());
  }
  if (attributes.Has("value")) return attributes.TensorValue("value");
  if (attributes.Has("value_float")) {
    MISSILE_ASSIGN_OR_RETURN(float value, attributes.Float("value_float"));
    return Tensor::FromVector<float>({}, std::span<const float>(&value, 1));
  }
  if (attributes.Has("value_int")) {
    MISSILE_ASSIGN_OR_RETURN(int64_t value, attributes.Int("value_int"));
    return Tensor::FromVector<int64_t>({}, std::span<const int64_t>(&value, 1));
  }
  if (attributes.Has("value_floats")) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<float> values, attributes.Floats("value_floats"));
    return Tensor::FromVector<float>({static_cast<int64_t>(values.size())}, values);
  }
  if (attributes.Has("value_ints")) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> values, attributes.Ints("value_ints"));
    return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
  }
  return Error(ErrorCode::kUnimplemented, "Constant attribute '{}' is not supported",
               attributes.all().begin()->first);
}

Specs ConstantInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(Tensor value, ConstantValue(ctx));
  return One(value.dtype(), value.shape());
}

Specs ConstantOfShapeInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ConstantOfShapeGeometry g, ConstantOfShapeGeometry::From(ctx));
  return One(g.value.dtype(), std::move(g.output));
}

Specs RangeInfer(const NodeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.input_dtype(i) != dtype || NumElements(ctx.input_shape(i)) != 1) {
      return InvalidNode("expected start, limit and delta to be scalars of one dtype");
    }
  }
  int64_t count = 0;
  if (IsFloatingPoint(dtype)) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> start, ctx.ConstantDoubles(0));
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> limit, ctx.ConstantDoubles(1));
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> delta, ctx.ConstantDoubles(2));
    if (delta[0] == 0) return InvalidNode("delta must not be 0");
    // limit - start in the inputs' precision, as onnxruntime computes it (exact in double for float64).
    double span = limit[0] - start[0];
    if (dtype != DataType::kFloat64) span = static_cast<float>(span);
    count = static_cast<int64_t>(std::ceil(span / delta[0]));
  } else {
    MISSILE_RETURN_IF_ERROR(RequireIndexType(ctx, 0, "Range's inputs"));
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> start, ctx.ConstantInts(0));
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> limit, ctx.ConstantInts(1));
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> delta, ctx.ConstantInts(2));
    if (delta[0] == 0) return InvalidNode("delta must not be 0");
    const int64_t span = limit[0] - start[0];
    // Ceiling division that rounds toward +infinity for either sign.
    count = span / delta[0] + ((span % delta[0] != 0 && (span < 0) == (delta[0] < 0)) ? 1 : 0);
  }
  return One(dtype, {std::max<int64_t>(count, 0)});
}

// ---- Shape queries ----------------------------------------------------------------------------------------

// Shape's [start, end) window over the dims (opset 15): negative bounds count from the end, both are clamped.
std::pair<size_t, size_t> ShapeWindow(const NodeContext& ctx) {
  const int64_t rank = static_cast<int64_t>(ctx.input_shape(0).size());
  auto resolve = [rank](int64_t bound) {
    return std::clamp<int64_t>(bound < 0 ? bound + rank : bound, 0, rank);
  };
  const int64_t start = resolve(ctx.attributes().Int("start", 0));
  const int64_t end = resolve(ctx.attributes().Int("end", rank));
  return {static_cast<size_t>(start), static_cast<size_t>(std::max(start, end))};
}

Specs ShapeInfer(const NodeContext& ctx) {
  const auto [start, end] = ShapeWindow(ctx);
  return One(DataType::kInt64, {static_cast<int64_t>(end - start)});
}

Result<Tensor> ShapeValue(const NodeContext& ctx) {
  const auto [start, end] = ShapeWindow(ctx);
  std::span<const int64_t> dims(ctx.input_shape(0));
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(end - start)}, dims.subspan(start, end - start));
}

Specs SizeInfer(const NodeContext& ctx) {
  return One(DataType::kInt64, {});
}

Result<Tensor> SizeValue(const NodeContext& ctx) {
  const int64_t size = NumElements(ctx.input_shape(0));
  return Tensor::FromVector<int64_t>({}, std::span<const int64_t>(&size, 1));
}

// ---- Scans along one axis ---------------------------------------------------------------------------------

Specs ArgReduceInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ArgReduceGeometry g, ArgReduceGeometry::From(ctx));
  return One(DataType::kInt64, std::move(g.output));
}

constexpr OpSchema kSchemas[] = {
    {.op_type = "Reshape", .min_inputs = 2, .max_inputs = 2, .infer = ReshapeInfer, .is_view = true},
    {.op_type = "Flatten", .infer = FlattenInfer, .is_view = true},
    {.op_type = "Squeeze", .min_inputs = 1, .max_inputs = 2, .infer = SqueezeInfer, .is_view = true},
    {.op_type = "Unsqueeze", .min_inputs = 2, .max_inputs = 2, .infer = UnsqueezeInfer, .is_view = true},
    {.op_type = "Transpose", .infer = InferFromGeometry<TransposeGeometry>},
    {.op_type = "Concat", .min_inputs = 1, .max_inputs = 4096, .infer = InferFromGeometry<ConcatGeometry>},
    {.op_type = "Split", .min_inputs = 1, .max_inputs = 2, .max_outputs = 4096, .infer = SplitInfer},
    {.op_type = "Slice", .min_inputs = 3, .max_inputs = 5, .infer = InferFromGeometry<SliceGeometry>},
    {.op_type = "Gather", .min_inputs = 2, .max_inputs = 2, .infer = GatherInfer},
    {.op_type = "Expand", .min_inputs = 2, .max_inputs = 2, .infer = InferFromGeometry<ExpandGeometry>},
    {.op_type = "Tile", .min_inputs = 2, .max_inputs = 2, .infer = InferFromGeometry<TileGeometry>},
    {.op_type = "Pad", .min_inputs = 2, .max_inputs = 3, .infer = InferFromGeometry<PadGeometry>},
    {.op_type = "Resize", .min_inputs = 1, .max_inputs = 4, .infer = InferFromGeometry<ResizeGeometry>},
    {.op_type = "ScatterND", .min_inputs = 3, .max_inputs = 3, .infer = InferLikeInput<ScatterNDGeometry>},
    {.op_type = "Constant",
     .min_inputs = 0,
     .max_inputs = 0,
     .infer = ConstantInfer,
     .value_from_shapes = ConstantValue},
    {.op_type = "ConstantOfShape", .infer = ConstantOfShapeInfer},
    {.op_type = "Range", .min_inputs = 3, .max_inputs = 3, .infer = RangeInfer},
    {.op_type = "Trilu", .min_inputs = 1, .max_inputs = 2, .infer = InferLikeInput<TriluGeometry>},
    {.op_type = "Shape", .infer = ShapeInfer, .value_from_shapes = ShapeValue},
    {.op_type = "Size", .infer = SizeInfer, .value_from_shapes = SizeValue},
    {.op_type = "CumSum", .min_inputs = 2, .max_inputs = 2, .infer = InferLikeInput<CumSumGeometry>},
    {.op_type = "ArgMax", .infer = ArgReduceInfer},
    {.op_type = "ArgMin", .infer = ArgReduceInfer},
};

}  // namespace

std::span<const OpSchema> TensorSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
