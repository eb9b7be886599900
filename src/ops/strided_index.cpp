#include "ops/strided_index.h"

namespace missile::ops {

std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::vector<int64_t> BroadcastStrides(std::span<const int64_t> input_shape,
                                      std::span<const int64_t> output_shape) {
  const std::vector<int64_t> own = ContiguousStrides(input_shape);
  std::vector<int64_t> strides(output_shape.size(), 0);
  const size_t lead = output_shape.size() - input_shape.size();
  for (size_t d = 0; d < input_shape.size(); ++d) {
    strides[lead + d] = input_shape[d] == 1 ? 0 : own[d];
  }
  return strides;
}

Result<StridedIndex> MakeStridedIndex(std::span<const int64_t> sizes, std::span<const int64_t> strides,
                                      int64_t base) {
  // Drop size-1 dims (their stride never matters), then merge d into d+1 when stepping d once equals
  // stepping d+1 size[d+1] times.
  std::vector<int64_t> merged_sizes;
  std::vector<int64_t> merged_strides;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!merged_sizes.empty() && merged_strides.back() == strides[d] * sizes[d]) {
      merged_sizes.back() *= sizes[d];
      merged_strides.back() = strides[d];
    } else {
      merged_sizes.push_back(sizes[d]);
      merged_strides.push_back(strides[d]);
    }
  }
  if (merged_sizes.size() > static_cast<size_t>(kMaxIndexRank)) {
    return Error(ErrorCode::kUnimplemented, "the CUDA backend indexes at most {} non-mergeable dims, got {}",
                 kMaxIndexRank, merged_sizes.size());
  }
  StridedIndex index;
  index.rank = static_cast<int>(merged_sizes.size());
  index.base = base;
  for (size_t d = 0; d < merged_sizes.size(); ++d) {
    index.sizes[d] = merged_sizes[d];
    index.strides[d] = merged_strides[d];
  }
  return index;
}

}  // namespace missile::ops
