// Geometry of the operators that work along one axis (Concat, Split, Gather, CumSum, ArgMax, ArgMin), shared
// by their schemas and kernels: each struct reads its node's attributes and constant operands once, and its
// From fails where the schema must refuse the node.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ops/node_context.h"

namespace missile::ops {

// NormalizeAxis with the node's error code, since a bad axis is a model error. A scalar has no axis (which
// NormalizeAxis accepts, as 0, for operators that treat a scalar as one element).
Result<int> ResolveAxis(int64_t axis, size_t rank);

// Resolved axes, none repeated.
Result<std::vector<int>> ResolveAxes(std::span<const int64_t> axes, size_t rank);

// A tensor seen as [outer, dim, inner] around one axis: `outer` blocks of `dim` rows of `inner` contiguous
// elements.
struct AxisView {
  int64_t outer = 1;
  int64_t dim = 1;
  int64_t inner = 1;

  static AxisView Around(std::span<const int64_t> shape, int axis);
};

struct ConcatGeometry {
  int axis = 0;
  std::vector<int64_t> sizes;  // per input: its dim along the axis
  Shape output;

  static Result<ConcatGeometry> From(const NodeContext& ctx);
};

struct SplitGeometry {
  int axis = 0;
  // Per output (omitted ones included): its dim along the axis. From the split operand, or equal shares.
  std::vector<int64_t> sizes;

  static Result<SplitGeometry> From(const NodeContext& ctx);
};

struct GatherGeometry {
  int axis = 0;
  AxisView data;        // the data around the axis; each index picks one of its `dim` rows
  int64_t indices = 0;  // how many indices
  Shape output;         // data's dims with the axis replaced by the indices' dims

  static Result<GatherGeometry> From(const NodeContext& ctx);
};

struct CumSumGeometry {
  AxisView view;  // the input around the summed axis
  bool exclusive = false;
  bool reverse = false;

  static Result<CumSumGeometry> From(const NodeContext& ctx);
};

// ArgMax and ArgMin.
struct ArgReduceGeometry {
  AxisView view;  // the input around the searched axis
  bool select_last = false;
  Shape output;

  static Result<ArgReduceGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
