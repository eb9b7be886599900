// A tensor seen through data-movement operators without copying it: where element (i0, i1, ...) of a logical
// tensor lives in some buffer. Passes use it to let a fused kernel read its operands through the Transpose,
// Reshape and Slice nodes in front of it (and write its result through the ones after it) instead of
// materializing each one.
//
// A logical dim may not map to a single stride: reshaping [S, B, E] (strides [B*E, E, 1]) to [S, B*H, D]
// merges B with part of E, so dim 1 walks B by E and H by D. Each logical dim is therefore a list of
// sub-dims (size, stride), outermost first, whose sizes multiply to the dim's size; size-1 sub-dims are
// dropped. A reshape succeeds whenever every new dim boundary falls on a sub-dim boundary or splits a sub-dim
// evenly, which is every reshape of a contiguous tensor and every head split or merge of a strided one.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/shape.h"
#include "core/status.h"

namespace missile::ops {

struct SubDim {
  int64_t size = 1;
  int64_t stride = 0;
  bool operator==(const SubDim&) const = default;
};

class StridedView {
 public:
  // Row-major over a buffer of exactly `shape` (every dim must be at least 1).
  static Result<StridedView> Contiguous(std::span<const int64_t> shape);

  int64_t offset() const { return offset_; }
  size_t rank() const { return dims_.size(); }
  int64_t size(size_t dim) const;
  Shape shape() const;
  // The dim's sub-dims, outermost first (empty for a dim of size 1).
  const std::vector<SubDim>& sub_dims(size_t dim) const { return dims_[dim]; }
  // The buffer offset of the element at `index` (one entry per dim).
  int64_t OffsetOf(std::span<const int64_t> index) const;

  // Output dim i is this view's dim perm[i] (ONNX Transpose).
  Result<StridedView> Permuted(std::span<const int64_t> perm) const;
  // The same elements in row-major order under another shape (ONNX Reshape with every dim resolved).
  Result<StridedView> Reshaped(std::span<const int64_t> shape) const;
  // Elements [start, start + size) of `dim` (ONNX Slice with step 1 on one axis).
  Result<StridedView> Sliced(size_t dim, int64_t start, int64_t size) const;

 private:
  int64_t offset_ = 0;
  std::vector<std::vector<SubDim>> dims_;
};

}  // namespace missile::ops
