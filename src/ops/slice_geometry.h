// Slice's operands (starts, ends, axes, steps) resolved once against the input's shape, for its schema and
// its kernels: per input dim, where the reads start and how far apart they are.
#pragma once

#include "ops/node_context.h"

namespace missile::ops {

struct SliceGeometry {
  // Per input dim: the first index read and the step between reads (0 and 1 on dims not sliced). A step may
  // be negative (a reversed slice).
  Shape start;
  Shape step;
  Shape output;

  static Result<SliceGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
