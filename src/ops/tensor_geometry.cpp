#include "ops/tensor_geometry.h"

#include <algorithm>
#include <numeric>

namespace missile::ops {

Result<TransposeGeometry> TransposeGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  std::vector<int64_t> reversed(in.size());
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  TransposeGeometry g;
  g.perm = ctx.attributes().Ints("perm", reversed);
  std::vector<int64_t> sorted = g.perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(in.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    return InvalidNode("expected perm to be a permutation of 0..{}, got {}", in.size() - 1,
                       ShapeToString(g.perm));
  }
  for (int64_t axis : g.perm) g.output.push_back(in[static_cast<size_t>(axis)]);
  return g;
}

Result<ExpandGeometry> ExpandGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.ConstantInts(1));
  auto out = BroadcastShapes(in, shape);
  if (!out.ok()) return InvalidNode("{}", out.status().message());
  ExpandGeometry g{.input = Shape(out->size() - in.size(), 1), .output = std::move(*out)};
  g.input.insert(g.input.end(), in.begin(), in.end());
  return g;
}

Result<TileGeometry> TileGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, ctx.ConstantInts(1));
  const bool negative = std::any_of(repeats.begin(), repeats.end(), [](int64_t r) { return r < 0; });
  if (repeats.size() != in.size() || negative) {
    return InvalidNode("expected {} non-negative repeats, got {}", in.size(), ShapeToString(repeats));
  }
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] * repeats[i];
  return TileGeometry{.repeats = std::move(repeats), .output = std::move(out)};
}

Result<ScatterNDGeometry> ScatterNDGeometry::From(const NodeContext& ctx) {
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
  ScatterNDGeometry g{.tuples = DimProduct(indices, 0, indices.size() - 1), .depth = indices.back()};
  const std::string reduction = ctx.attributes().String("reduction", "none");
  if (reduction == "add") {
    g.reduction = Reduction::kAdd;
  } else if (reduction == "mul") {
    g.reduction = Reduction::kMul;
  } else if (reduction != "none") {
    return Error(ErrorCode::kUnimplemented, "ScatterND reduction '{}' is not supported", reduction);
  }
  return g;
}

Result<TriluGeometry> TriluGeometry::From(const NodeContext& ctx) {
  const Shape& shape = ctx.input_shape(0);
  if (shape.size() < 2) return InvalidNode("expected a rank >= 2 input, got {}", ShapeToString(shape));
  TriluGeometry g{.matrices = DimProduct(shape, 0, shape.size() - 2),
                  .rows = shape[shape.size() - 2],
                  .cols = shape.back(),
                  .upper = ctx.attributes().Int("upper", 1) != 0};
  if (ctx.has_input(1)) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> k, ctx.ConstantInts(1));
    if (k.size() != 1) return InvalidNode("expected a scalar k, got {} values", k.size());
    g.k = k[0];
  }
  return g;
}

Result<ConstantOfShapeGeometry> ConstantOfShapeGeometry::From(const NodeContext& ctx) {
  ConstantOfShapeGeometry g;
  g.value = Tensor(DataType::kFloat32, {});
  if (ctx.attributes().Has("value")) {
    MISSILE_ASSIGN_OR_RETURN(g.value, ctx.attributes().TensorValue("value"));
    if (g.value.num_elements() != 1) {
      return InvalidNode("expected a one-element value, got {}", ShapeToString(g.value.shape()));
    }
  }
  MISSILE_ASSIGN_OR_RETURN(g.output, ctx.ConstantInts(0));
  if (std::any_of(g.output.begin(), g.output.end(), [](int64_t d) { return d < 0; })) {
    return InvalidNode("expected a non-negative shape, got {}", ShapeToString(g.output));
  }
  return g;
}

}  // namespace missile::ops
