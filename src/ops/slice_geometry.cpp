#include "ops/slice_geometry.h"

#include <algorithm>
#include <numeric>

#include "ops/axis_geometry.h"

namespace missile::ops {

Result<SliceGeometry> SliceGeometry::From(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> starts, ctx.ConstantInts(1));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> ends, ctx.ConstantInts(2));
  std::vector<int64_t> all_axes(starts.size());
  std::iota(all_axes.begin(), all_axes.end(), 0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.OptionalInts(3, all_axes));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                           ctx.OptionalInts(4, std::vector<int64_t>(starts.size(), 1)));
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return InvalidNode("expected starts, ends, axes and steps of one length, got {}, {}, {} and {}",
                       starts.size(), ends.size(), axes.size(), steps.size());
  }
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> resolved, ResolveAxes(axes, in.size()));
  SliceGeometry g{.start = Shape(in.size(), 0), .step = Shape(in.size(), 1), .output = in};
  for (size_t i = 0; i < starts.size(); ++i) {
    const int axis = resolved[i];
    const int64_t dim = in[axis];
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
      g.output[axis] = end > start ? 1 + (end - start - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
      end = std::clamp<int64_t>(end, -1, dim - 1);
      g.output[axis] = dim > 0 && start > end ? 1 - (start - end - 1) / step : 0;
    }
    g.start[axis] = start;
    g.step[axis] = step;
  }
  return g;
}

}  // namespace missile::ops
