// Schemas of the data-movement and shape operators: views (Reshape, Flatten, Squeeze, Unsqueeze), copies that
// rearrange elements (Transpose, Concat, Split, Slice, Gather, Expand, Tile, Pad, Resize, ScatterND),
// generators (Constant, ConstantOfShape, Range), shape queries (Shape, Size) and the per-axis scans (CumSum,
// ArgMax/ArgMin).
//
// Shape-like operands (Reshape's shape, Slice's starts, Pad's pads, ...) must be constants: Missile plans
// every buffer ahead of time, so an output shape may depend on values only when those values are known at
// load.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/op_schema.h"

namespace missile::ops {
namespace {

using Specs = Result<std::vector<TensorSpec>>;

Specs One(DataType dtype, Shape shape) {
  return std::vector{TensorSpec{dtype, std::move(shape)}};
}

// NormalizeAxis, with the node's error code: a bad axis is a model error here. A scalar has no axis (which
// NormalizeAxis accepts, as 0, for operators that treat a scalar as one element).
Result<int> Axis(int64_t axis, size_t rank) {
  if (rank == 0) return InvalidNode("axis {} is out of range for a scalar", axis);
  auto normalized = NormalizeAxis(axis, rank);
  if (!normalized.ok()) return InvalidNode("{}", normalized.status().message());
  return *normalized;
}

// Normalized axes, none repeated.
Result<std::vector<int>> Axes(std::span<const int64_t> axes, size_t rank) {
  std::vector<int> out;
  for (int64_t a : axes) {
    MISSILE_ASSIGN_OR_RETURN(int axis, Axis(a, rank));
    if (std::find(out.begin(), out.end(), axis) != out.end()) {
      return InvalidNode("axes {} name axis {} twice", ShapeToString(axes), axis);
    }
    out.push_back(axis);
  }
  return out;
}

Status RequireIndexType(const NodeContext& ctx, size_t i, std::string_view what) {
  const DataType dtype = ctx.input_dtype(i);
  if (dtype != DataType::kInt64 && dtype != DataType::kInt32) {
    return InvalidNode("{} must be int64 or int32, got {}", what, DataTypeName(dtype));
  }
  return Status::Ok();
}

// A constant int operand, or `fallback` when the optional input is omitted.
Result<std::vector<int64_t>> OptionalInts(const NodeContext& ctx, size_t i, std::vector<int64_t> fallback) {
  if (!ctx.has_input(i)) return fallback;
  return ctx.ConstantInts(i);
}

// A constant operand of any numeric dtype as doubles (Resize's scales, Range's bounds).
Result<std::vector<double>> ConstantDoubles(const NodeContext& ctx, size_t i) {
  const Tensor* t = ctx.constant_input(i);
  if (t == nullptr) {
    return Error(ErrorCode::kUnimplemented,
                 "input {} ('{}') must be a constant (known when the model is loaded) for a static plan", i,
                 ctx.input_name(i));
  }
  std::vector<double> values(static_cast<size_t>(t->num_elements()));
  ConvertElements(t->dtype(), t->raw_data(), DataType::kFloat64, values.data(), t->num_elements());
  return values;
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
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, OptionalInts(ctx, 1, {}));
  // Without axes (or with none listed), every dim of size 1 goes.
  std::vector<bool> squeezed(in.size(), false);
  if (!axes.empty()) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int> normalized, Axes(axes, in.size()));
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
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> normalized, Axes(axes, rank));
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

Specs TransposeInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  std::vector<int64_t> reversed(in.size());
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  const std::vector<int64_t> perm = ctx.attributes().Ints("perm", reversed);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(in.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    return InvalidNode("expected perm to be a permutation of 0..{}, got {}", in.size() - 1,
                       ShapeToString(perm));
  }
  Shape out(in.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = in[static_cast<size_t>(perm[i])];
  return One(ctx.input_dtype(0), std::move(out));
}

Specs ConcatInfer(const NodeContext& ctx) {
  const Shape& first = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int64_t attr, ctx.attributes().Int("axis"));
  MISSILE_ASSIGN_OR_RETURN(int axis, Axis(attr, first.size()));
  Shape out = first;
  for (size_t i = 1; i < ctx.input_count(); ++i) {
    const Shape& shape = ctx.input_shape(i);
    if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
      return InvalidNode("expected input {} to be {} like input 0, got {}", i,
                         DataTypeName(ctx.input_dtype(0)), DataTypeName(ctx.input_dtype(i)));
    }
    bool compatible = shape.size() == first.size();
    for (size_t d = 0; compatible && d < shape.size(); ++d) {
      compatible = d == static_cast<size_t>(axis) || shape[d] == first[d];
    }
    if (!compatible) {
      return InvalidNode("expected input {} to match {} except on axis {}, got {}", i, ShapeToString(first),
                         axis, ShapeToString(shape));
    }
    out[axis] += shape[axis];
  }
  return One(ctx.input_dtype(0), std::move(out));
}

Specs SplitInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, Axis(ctx.attributes().Int("axis", 0), in.size()));
  const int64_t parts = static_cast<int64_t>(ctx.output_count());
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, OptionalInts(ctx, 1, {}));
  // Without split sizes (or with an empty list), the outputs share the dim equally.
  if (!sizes.empty()) {
    const bool negative = std::any_of(sizes.begin(), sizes.end(), [](int64_t s) { return s < 0; });
    if (static_cast<int64_t>(sizes.size()) != parts || negative ||
        std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != in[axis]) {
      return InvalidNode("expected split to be {} non-negative sizes adding up to {}, got {}", parts,
                         in[axis], ShapeToString(sizes));
    }
  } else {
    if (in[axis] % parts != 0) {
      return InvalidNode("expected dim {} ({}) to be divisible by the {} outputs", axis, in[axis], parts);
    }
    sizes.assign(static_cast<size_t>(parts), in[axis] / parts);
  }
  std::vector<TensorSpec> specs;
  for (int64_t size : sizes) {
    Shape shape = in;
    shape[axis] = size;
    specs.push_back({ctx.input_dtype(0), std::move(shape)});
  }
  return specs;
}

Specs SliceInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> starts, ctx.ConstantInts(1));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> ends, ctx.ConstantInts(2));
  std::vector<int64_t> all_axes(starts.size());
  std::iota(all_axes.begin(), all_axes.end(), 0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, OptionalInts(ctx, 3, all_axes));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                           OptionalInts(ctx, 4, std::vector<int64_t>(starts.size(), 1)));
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return InvalidNode("expected starts, ends, axes and steps of one length, got {}, {}, {} and {}",
                       starts.size(), ends.size(), axes.size(), steps.size());
  }
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> normalized, Axes(axes, in.size()));
  Shape out = in;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t dim = in[normalized[i]];
    const int64_t step = steps[i];
    if (step == 0) return InvalidNode("steps must not be 0");
    // Negative indices count from the end; then both bounds are clamped to the dim (so INT64_MAX and
    // INT64_MIN mean "to the end"): to [0, dim] going forward; going backward start to [0, dim - 1] and end
    // to [-1, dim - 1], where -1 means "past the first element".
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    // The counts are written so that no step, however large, overflows.
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      out[normalized[i]] = end > start ? 1 + (end - start - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
      end = std::clamp<int64_t>(end, -1, dim - 1);
      out[normalized[i]] = dim > 0 && start > end ? 1 - (start - end - 1) / step : 0;
    }
  }
  return One(ctx.input_dtype(0), std::move(out));
}

Specs GatherInfer(const NodeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  MISSILE_RETURN_IF_ERROR(RequireIndexType(ctx, 1, "indices"));
  MISSILE_ASSIGN_OR_RETURN(int axis, Axis(ctx.attributes().Int("axis", 0), data.size()));
  // Constant indices are checked now, so a bad model fails at load rather than on its first request.
  if (ctx.constant_input(1) != nullptr) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> indices, ctx.ConstantInts(1));
    for (int64_t index : indices) {
      if (index < -data[axis] || index >= data[axis]) {
        return InvalidNode("expected indices in [{}, {}) for axis {} of {}, got {}", -data[axis], data[axis],
                           axis, ShapeToString(data), index);
      }
    }
  }
  const Shape& indices = ctx.input_shape(1);
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  return One(ctx.input_dtype(0), std::move(out));
}

Specs ExpandInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.ConstantInts(1));
  auto out = BroadcastShapes(ctx.input_shape(0), shape);
  if (!out.ok()) return InvalidNode("{}", out.status().message());
  return One(ctx.input_dtype(0), std::move(*out));
}

Specs TileInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, ctx.ConstantInts(1));
  const bool negative = std::any_of(repeats.begin(), repeats.end(), [](int64_t r) { return r < 0; });
  if (repeats.size() != in.size() || negative) {
    return InvalidNode("expected {} non-negative repeats, got {}", in.size(), ShapeToString(repeats));
  }
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] * repeats[i];
  return One(ctx.input_dtype(0), std::move(out));
}

Specs PadInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const std::string mode = ctx.attributes().String("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return Error(ErrorCode::kUnimplemented, "Pad mode '{}' is not supported (constant, reflect, edge are)",
                 mode);
  }
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ctx.ConstantInts(1));
  if (pads.size() != 2 * in.size()) {
    return InvalidNode("expected {} pads for a rank-{} input, got {}", 2 * in.size(), in.size(),
                       ShapeToString(pads));
  }
  if (ctx.has_input(2)) {
    const Tensor* value = ctx.constant_input(2);
    if (value == nullptr || value->num_elements() != 1) {
      return Error(ErrorCode::kUnimplemented, "Pad's constant_value must be a constant scalar");
    }
  }
  // pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; negative pads crop.
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = in[i] + pads[i] + pads[i + in.size()];
    if (out[i] < 0) {
      return InvalidNode("pads {} crop more than dim {} of {} holds", ShapeToString(pads), i,
                         ShapeToString(in));
    }
    if (mode != "constant" && in[i] == 0 && out[i] > 0) {
      return InvalidNode("{} padding needs a non-empty dim {}, got {}", mode, i, ShapeToString(in));
    }
  }
  return One(ctx.input_dtype(0), std::move(out));
}

Specs ResizeInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const std::string mode = ctx.attributes().String("mode", "nearest");
  if (mode != "nearest" && mode != "linear") {
    return Error(ErrorCode::kUnimplemented, "Resize mode '{}' is not supported (nearest, linear are)", mode);
  }
  const std::string transform = ctx.attributes().String("coordinate_transformation_mode", "half_pixel");
  if (transform == "tf_crop_and_resize") {
    return Error(ErrorCode::kUnimplemented, "Resize coordinate_transformation_mode '{}' is not supported",
                 transform);
  }
  // Exactly one of scales (input 2) and sizes (input 3) is given; an empty tensor counts as absent.
  const Tensor* scales = ctx.constant_input(2);
  const bool has_scales = ctx.has_input(2) && (scales == nullptr || scales->num_elements() > 0);
  const bool has_sizes = ctx.has_input(3);
  if (has_scales == has_sizes) return InvalidNode("expected exactly one of scales and sizes");
  Shape out(in.size());
  if (has_sizes) {
    MISSILE_ASSIGN_OR_RETURN(out, ctx.ConstantInts(3));
  } else {
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> factors, ConstantDoubles(ctx, 2));
    if (factors.size() != in.size()) {
      return InvalidNode("expected {} scales, got {}", in.size(), factors.size());
    }
    for (size_t i = 0; i < in.size(); ++i) {
      if (!(factors[i] > 0)) return InvalidNode("expected positive scales, got {}", factors[i]);
      // In float32, as the scales are stored, so the size agrees with the kernels' float coordinates.
      out[i] = static_cast<int64_t>(std::floor(static_cast<float>(in[i]) * static_cast<float>(factors[i])));
    }
  }
  if (out.size() != in.size()) return InvalidNode("expected {} sizes, got {}", in.size(), ShapeToString(out));
  if (mode == "linear") {
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
  return One(ctx.input_dtype(0), std::move(out));
}

Specs ScatterNDInfer(const NodeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const Shape& updates = ctx.input_shape(2);
  if (ctx.input_dtype(1) != DataType::kInt64) {
    return InvalidNode("expected int64 indices, got {}", DataTypeName(ctx.input_dtype(1)));
  }
  if (indices.empty() || indices.back() > static_cast<int64_t>(data.size())) {
    return InvalidNode("expected indices of shape [..., k] with k <= {}, got {}", data.size(),
                       ShapeToString(indices));
  }
  // updates = indices.shape[:-1] + data.shape[k:]
  Shape expected(indices.begin(), indices.end() - 1);
  expected.insert(expected.end(), data.begin() + indices.back(), data.end());
  if (updates != expected || ctx.input_dtype(2) != ctx.input_dtype(0)) {
    return InvalidNode("expected updates of shape {} and dtype {}, got {} {}", ShapeToString(expected),
                       DataTypeName(ctx.input_dtype(0)), ShapeToString(updates),
                       DataTypeName(ctx.input_dtype(2)));
  }
  const std::string reduction = ctx.attributes().String("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul") {
    return Error(ErrorCode::kUnimplemented, "ScatterND reduction '{}' is not supported", reduction);
  }
  return std::vector{ctx.input(0)};
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

// ConstantOfShape's fill value: a one-element tensor, float32 0 by default.
Result<Tensor> FillValue(const NodeContext& ctx) {
  if (!ctx.attributes().Has("value")) return Tensor(DataType::kFloat32, {});
  MISSILE_ASSIGN_OR_RETURN(Tensor value, ctx.attributes().TensorValue("value"));
  if (value.num_elements() != 1) {
    return InvalidNode("expected a one-element value, got {}", ShapeToString(value.shape()));
  }
  return value;
}

Specs ConstantOfShapeInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(Tensor value, FillValue(ctx));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.ConstantInts(0));
  if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; })) {
    return InvalidNode("expected a non-negative shape, got {}", ShapeToString(shape));
  }
  return One(value.dtype(), std::move(shape));
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
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> start, ConstantDoubles(ctx, 0));
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> limit, ConstantDoubles(ctx, 1));
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> delta, ConstantDoubles(ctx, 2));
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

Specs TriluInfer(const NodeContext& ctx) {
  if (ctx.input_shape(0).size() < 2) {
    return InvalidNode("expected a rank >= 2 input, got {}", ShapeToString(ctx.input_shape(0)));
  }
  if (ctx.has_input(1)) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> k, ctx.ConstantInts(1));
    if (k.size() != 1) return InvalidNode("expected a scalar k, got {} values", k.size());
  }
  return std::vector{ctx.input(0)};
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

Specs CumSumInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireIndexType(ctx, 1, "axis"));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axis, ctx.ConstantInts(1));
  if (axis.size() != 1) return InvalidNode("expected a scalar axis, got {} values", axis.size());
  MISSILE_RETURN_IF_ERROR(Axis(axis[0], ctx.input_shape(0).size()).status());
  return std::vector{ctx.input(0)};
}

Specs ArgReduceInfer(const NodeContext& ctx) {
  Shape shape = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, Axis(ctx.attributes().Int("axis", 0), shape.size()));
  if (shape[axis] == 0) return InvalidNode("cannot take {} over an empty axis {}", ctx.op_type(), axis);
  if (ctx.attributes().Int("keepdims", 1) != 0) {
    shape[axis] = 1;
  } else {
    shape.erase(shape.begin() + axis);
  }
  return One(DataType::kInt64, std::move(shape));
}

constexpr OpSchema kSchemas[] = {
    {.op_type = "Reshape", .min_inputs = 2, .max_inputs = 2, .infer = ReshapeInfer, .is_view = true},
    {.op_type = "Flatten", .infer = FlattenInfer, .is_view = true},
    {.op_type = "Squeeze", .min_inputs = 1, .max_inputs = 2, .infer = SqueezeInfer, .is_view = true},
    {.op_type = "Unsqueeze", .min_inputs = 2, .max_inputs = 2, .infer = UnsqueezeInfer, .is_view = true},
    {.op_type = "Transpose", .infer = TransposeInfer},
    {.op_type = "Concat", .min_inputs = 1, .max_inputs = 4096, .infer = ConcatInfer},
    {.op_type = "Split", .min_inputs = 1, .max_inputs = 2, .max_outputs = 4096, .infer = SplitInfer},
    {.op_type = "Slice", .min_inputs = 3, .max_inputs = 5, .infer = SliceInfer},
    {.op_type = "Gather", .min_inputs = 2, .max_inputs = 2, .infer = GatherInfer},
    {.op_type = "Expand", .min_inputs = 2, .max_inputs = 2, .infer = ExpandInfer},
    {.op_type = "Tile", .min_inputs = 2, .max_inputs = 2, .infer = TileInfer},
    {.op_type = "Pad", .min_inputs = 2, .max_inputs = 3, .infer = PadInfer},
    {.op_type = "Resize", .min_inputs = 1, .max_inputs = 4, .infer = ResizeInfer},
    {.op_type = "ScatterND", .min_inputs = 3, .max_inputs = 3, .infer = ScatterNDInfer},
    {.op_type = "Constant",
     .min_inputs = 0,
     .max_inputs = 0,
     .infer = ConstantInfer,
     .value_from_shapes = ConstantValue},
    {.op_type = "ConstantOfShape", .infer = ConstantOfShapeInfer},
    {.op_type = "Range", .min_inputs = 3, .max_inputs = 3, .infer = RangeInfer},
    {.op_type = "Trilu", .min_inputs = 1, .max_inputs = 2, .infer = TriluInfer},
    {.op_type = "Shape", .infer = ShapeInfer, .value_from_shapes = ShapeValue},
    {.op_type = "Size", .infer = SizeInfer, .value_from_shapes = SizeValue},
    {.op_type = "CumSum", .min_inputs = 2, .max_inputs = 2, .infer = CumSumInfer},
    {.op_type = "ArgMax", .infer = ArgReduceInfer},
    {.op_type = "ArgMin", .infer = ArgReduceInfer},
};

}  // namespace

std::span<const OpSchema> TensorSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
