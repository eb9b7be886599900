// Multidirectional (NumPy) broadcasting, reduced to the fewest loops: dims where every operand behaves alike
// (all broadcast or all not) are merged, so `[8,64,56,56] + [1,64,1,1]` becomes a 2-level loop. Shared by the
// elementwise kernels of every backend.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/shape.h"

namespace missile::ops {

class BroadcastLayout {
 public:
  BroadcastLayout(std::span<const int64_t> output_shape, std::span<const Shape> input_shapes);

  int64_t output_elements() const { return rows_ * inner_; }
  // The output is `rows` runs of `inner` contiguous elements.
  int64_t rows() const { return rows_; }
  int64_t inner() const { return inner_; }
  // Stride of input k along the inner run: 1, or 0 when the input is broadcast there.
  int64_t inner_stride(size_t k) const { return inner_strides_[k]; }
  // Element offset of input k at the start of output row `row`.
  int64_t RowOffset(size_t k, int64_t row) const;

 private:
  std::vector<int64_t> outer_dims_;                  // collapsed dims except the innermost
  std::vector<std::vector<int64_t>> outer_strides_;  // per input, per outer dim (0 where broadcast)
  std::vector<int64_t> inner_strides_;
  int64_t rows_ = 1;
  int64_t inner_ = 1;
};

}  // namespace missile::ops
