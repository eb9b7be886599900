#include "ops/reduce_geometry.h"

namespace missile::ops {

Result<ReduceGeometry> ReduceGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.OptionalInts(1, ctx.attributes().Ints("axes", {})));
  if (axes.empty() && ctx.attributes().Int("noop_with_empty_axes", 0) != 0) {
    return ReduceGeometry{.noop = true, .reduced = std::vector<bool>(in.size(), false), .output = in};
  }
  ReduceGeometry g;
  g.reduced.assign(in.size(), axes.empty());
  for (int64_t axis : axes) {
    auto normalized = NormalizeAxis(axis, in.size());
    if (!normalized.ok() || in.empty()) {
      return InvalidNode("axes {} do not fit {}", ShapeToString(axes), ShapeToString(in));
    }
    if (g.reduced[*normalized]) {
      return InvalidNode("axes {} name axis {} twice", ShapeToString(axes), *normalized);
    }
    g.reduced[*normalized] = true;
  }
  const bool keepdims = ctx.attributes().Int("keepdims", 1) != 0;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!g.reduced[d]) {
      g.output.push_back(in[d]);
    } else {
      g.reduced_elements *= in[d];
      if (keepdims) g.output.push_back(1);
    }
  }
  return g;
}

Result<SoftmaxGeometry> SoftmaxGeometry::From(const NodeContext& ctx) {
  if (!IsFloatingPoint(ctx.input_dtype(0))) {
    return InvalidNode("expected a floating-point input, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  const Shape& shape = ctx.input_shape(0);
  const int64_t attr = ctx.attributes().Int("axis", -1);
  auto axis = NormalizeAxis(attr, shape.size());
  if (!axis.ok() || shape.empty()) {
    return InvalidNode("expected an axis in [{}, {}), got {}", -static_cast<int64_t>(shape.size()),
                       shape.size(), attr);
  }
  return SoftmaxGeometry{.view = AxisView::Around(shape, *axis)};
}

}  // namespace missile::ops
