// Geometry of the reductions (ReduceSum, ReduceMean, ...) and of Softmax / LogSoftmax, shared by their
// schemas and kernels: each struct reads its node's attributes and constant operands once, and its From
// fails where the schema must refuse the node.
#pragma once

#include <vector>

#include "ops/axis_geometry.h"

namespace missile::ops {

struct ReduceGeometry {
  // No axes and noop_with_empty_axes: the output is the input, untouched (not even squared, for
  // ReduceSumSquare).
  bool noop = false;
  // Per input dim. The axes come from input 1 where the opset made them an input (ReduceSum from 13), else
  // from the attribute; none listed means every dim.
  std::vector<bool> reduced;
  int64_t reduced_elements = 1;  // input elements folded into each result
  Shape output;                  // reduced dims dropped, or kept as 1 with keepdims

  static Result<ReduceGeometry> From(const NodeContext& ctx);
};

// Softmax and LogSoftmax, along one axis (opset 13 semantics, not the 2-D flattening of opsets <= 12).
struct SoftmaxGeometry {
  AxisView view;  // the input around the axis

  static Result<SoftmaxGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
