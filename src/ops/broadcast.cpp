#include "ops/broadcast.h"

namespace missile::ops {

BroadcastLayout::BroadcastLayout(std::span<const int64_t> output_shape, std::span<const Shape> input_shapes) {
  const size_t rank = output_shape.size();
  const size_t n = input_shapes.size();
  // Per input, per output dim: the input's stride there, 0 when broadcast (input dim 1 or missing).
  std::vector<std::vector<int64_t>> strides(n, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < n; ++k) {
    const Shape& s = input_shapes[k];
    int64_t stride = 1;
    for (size_t i = rank; i-- > 0;) {
      const size_t offset = rank - s.size();
      if (i < offset) continue;
      const int64_t dim = s[i - offset];
      strides[k][i] = (dim == 1 && output_shape[i] != 1) ? 0 : stride;
      stride *= dim;
    }
  }

  // Merge adjacent dims when, for every input, both are broadcast or both are contiguous with each other.
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> merged(n);
  for (size_t i = 0; i < rank; ++i) {
    if (output_shape[i] == 1) continue;  // size-1 dims contribute nothing to the iteration
    bool mergeable = !dims.empty();
    for (size_t k = 0; k < n && mergeable; ++k) {
      const int64_t prev = merged[k].back();
      const int64_t cur = strides[k][i];
      mergeable = (prev == 0 && cur == 0) || (prev != 0 && cur != 0 && prev == cur * output_shape[i]);
    }
    if (mergeable) {
      dims.back() *= output_shape[i];
      for (size_t k = 0; k < n; ++k) merged[k].back() = strides[k][i];
    } else {
      dims.push_back(output_shape[i]);
      for (size_t k = 0; k < n; ++k) merged[k].push_back(strides[k][i]);
    }
  }
  if (dims.empty()) {  // a scalar output (or all dims 1)
    dims.push_back(1);
    for (size_t k = 0; k < n; ++k) merged[k].push_back(0);
  }

  inner_ = dims.back();
  inner_strides_.resize(n);
  outer_strides_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    inner_strides_[k] = merged[k].back();
    outer_strides_[k].assign(merged[k].begin(), merged[k].end() - 1);
  }
  outer_dims_.assign(dims.begin(), dims.end() - 1);
  for (int64_t d : outer_dims_) rows_ *= d;
}

int64_t BroadcastLayout::RowOffset(size_t k, int64_t row) const {
  int64_t offset = 0;
  const auto& strides = outer_strides_[k];
  for (size_t i = outer_dims_.size(); i-- > 0;) {
    const int64_t index = row % outer_dims_[i];
    row /= outer_dims_[i];
    offset += index * strides[i];
  }
  return offset;
}

}  // namespace missile::ops
