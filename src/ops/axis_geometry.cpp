#include "ops/axis_geometry.h"

#include <algorithm>
#include <numeric>

namespace missile::ops {

Result<int> ResolveAxis(int64_t axis, size_t rank) {
  if (rank == 0) return InvalidNode("axis {} is out of range for a scalar", axis);
  auto normalized = NormalizeAxis(axis, rank);
  if (!normalized.ok()) return InvalidNode("{}", normalized.status().message());
  return *normalized;
}

Result<std::vector<int>> ResolveAxes(std::span<const int64_t> axes, size_t rank) {
  std::vector<int> out;
  for (int64_t a : axes) {
    MISSILE_ASSIGN_OR_RETURN(int axis, ResolveAxis(a, rank));
    if (std::find(out.begin(), out.end(), axis) != out.end()) {
      return InvalidNode("axes {} name axis {} twice", ShapeToString(axes), axis);
    }
    out.push_back(axis);
  }
  return out;
}

AxisView AxisView::Around(std::span<const int64_t> shape, int axis) {
  const auto a = static_cast<size_t>(axis);
  return {DimProduct(shape, 0, a), shape[a], DimProduct(shape, a + 1, shape.size())};
}

Result<ConcatGeometry> ConcatGeometry::From(const NodeContext& ctx) {
  const Shape& first = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int64_t attr, ctx.attributes().Int("axis"));
  MISSILE_ASSIGN_OR_RETURN(int axis, ResolveAxis(attr, first.size()));
  ConcatGeometry g{.axis = axis, .sizes = {first[axis]}, .output = first};
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
    g.sizes.push_back(shape[axis]);
    g.output[axis] += shape[axis];
  }
  return g;
}

Result<SplitGeometry> SplitGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, ResolveAxis(ctx.attributes().Int("axis", 0), in.size()));
  const int64_t parts = static_cast<int64_t>(ctx.output_count());
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ctx.OptionalInts(1, {}));
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
  return SplitGeometry{.axis = axis, .sizes = std::move(sizes)};
}

Result<GatherGeometry> GatherGeometry::From(const NodeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  MISSILE_RETURN_IF_ERROR(RequireIndexType(ctx, 1, "indices"));
  MISSILE_ASSIGN_OR_RETURN(int axis, ResolveAxis(ctx.attributes().Int("axis", 0), data.size()));
  const Shape& indices = ctx.input_shape(1);
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  return GatherGeometry{.axis = axis,
                        .data = AxisView::Around(data, axis),
                        .indices = NumElements(indices),
                        .output = std::move(out)};
}

Result<CumSumGeometry> CumSumGeometry::From(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireIndexType(ctx, 1, "axis"));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axis, ctx.ConstantInts(1));
  if (axis.size() != 1) return InvalidNode("expected a scalar axis, got {} values", axis.size());
  MISSILE_ASSIGN_OR_RETURN(int resolved, ResolveAxis(axis[0], ctx.input_shape(0).size()));
  return CumSumGeometry{.view = AxisView::Around(ctx.input_shape(0), resolved),
                        .exclusive = ctx.attributes().Int("exclusive", 0) != 0,
                        .reverse = ctx.attributes().Int("reverse", 0) != 0};
}

Result<ArgReduceGeometry> ArgReduceGeometry::From(const NodeContext& ctx) {
  Shape shape = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, ResolveAxis(ctx.attributes().Int("axis", 0), shape.size()));
  if (shape[axis] == 0) return InvalidNode("cannot take {} over an empty axis {}", ctx.op_type(), axis);
  const AxisView view = AxisView::Around(shape, axis);
  if (ctx.attributes().Int("keepdims", 1) != 0) {
    shape[axis] = 1;
  } else {
    shape.erase(shape.begin() + axis);
  }
  return ArgReduceGeometry{.view = view,
                           .select_last = ctx.attributes().Int("select_last_index", 0) != 0,
                           .output = std::move(shape)};
}

}  // namespace missile::ops
