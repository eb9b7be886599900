#include "ops/pad_geometry.h"

#include <algorithm>

namespace missile::ops {
namespace {

Result<PadGeometry::Mode> ParseMode(const std::string& name) {
  if (name == "constant") return PadGeometry::Mode::kConstant;
  if (name == "reflect") return PadGeometry::Mode::kReflect;
  if (name == "edge") return PadGeometry::Mode::kEdge;
  return Error(ErrorCode::kUnimplemented, "Pad mode '{}' is not supported (constant, reflect, edge are)",
               name);
}

// Reflection about the first and last elements (no repeat of the edge), periodic for pads longer than the
// dim, as numpy's 'reflect'.
int64_t Reflect(int64_t i, int64_t dim) {
  if (dim == 1) return 0;
  const int64_t period = 2 * (dim - 1);
  i = ((i % period) + period) % period;
  return i < dim ? i : period - i;
}

}  // namespace

int64_t PadGeometry::SourceIndex(size_t d, int64_t j) const {
  const int64_t i = j - begin[d];
  if (i >= 0 && i < input[d]) return i;
  switch (mode) {
    case Mode::kEdge:
      return std::clamp<int64_t>(i, 0, input[d] - 1);
    case Mode::kReflect:
      return Reflect(i, input[d]);
    case Mode::kConstant:
      break;
  }
  return -1;
}

Result<PadGeometry> PadGeometry::From(const NodeContext& ctx) {
  PadGeometry g;
  g.input = ctx.input_shape(0);
  const Shape& in = g.input;
  const std::string mode = ctx.attributes().String("mode", "constant");
  MISSILE_ASSIGN_OR_RETURN(g.mode, ParseMode(mode));
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
    ConvertElements(value->dtype(), value->raw_data(), ctx.input_dtype(0), g.fill.data(), 1);
  }
  // pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; negative pads crop.
  for (size_t i = 0; i < in.size(); ++i) {
    g.begin.push_back(pads[i]);
    g.output.push_back(in[i] + pads[i] + pads[i + in.size()]);
    if (g.output[i] < 0) {
      return InvalidNode("pads {} crop more than dim {} of {} holds", ShapeToString(pads), i,
                         ShapeToString(in));
    }
    if (g.mode != Mode::kConstant && in[i] == 0 && g.output[i] > 0) {
      return InvalidNode("{} padding needs a non-empty dim {}, got {}", mode, i, ShapeToString(in));
    }
  }
  return g;
}

}  // namespace missile::ops
