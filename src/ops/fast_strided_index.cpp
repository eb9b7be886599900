#include "ops/fast_strided_index.h"

#include <cstdlib>
#include <limits>

#include "core/shape.h"

namespace missile::ops {

FastDivmod32 FastDivmod32::Make(uint32_t d) {
  FastDivmod32 f;
  f.divisor = d;
  while ((uint64_t{1} << f.shift) < d) ++f.shift;
  // m = 2^32 + multiplier = floor(2^(32+shift) / d) + 1 satisfies 2^(32+shift) < m*d <= 2^(32+shift) +
  // 2^shift, which makes floor(n * m / 2^(32+shift)) == floor(n / d) for every n < 2^32. 2^shift - d < d <=
  // 2^31, so the product below stays under 2^63 and the multiplier under 2^32.
  const uint64_t numerator = (uint64_t{1} << 32) * ((uint64_t{1} << f.shift) - d);
  f.multiplier = static_cast<uint32_t>(numerator / d + 1);
  return f;
}

std::optional<FastStridedIndex> MakeFastStridedIndex(const StridedIndex& index) {
  constexpr int64_t kLimit = std::numeric_limits<int32_t>::max();
  FastStridedIndex fast;
  int64_t count = 1;
  for (int d = 0; d < index.rank; ++d) {
    if (index.sizes[d] == 0) return fast;  // no elements: the index is never evaluated
    if (index.sizes[d] < 0 || index.sizes[d] > kLimit / count) return std::nullopt;
    count *= index.sizes[d];
  }
  // Every partial sum of the offset lies within |base| + sum((size - 1) * |stride|).
  if (index.base < -kLimit || index.base > kLimit) return std::nullopt;
  int64_t reach = std::abs(index.base);
  for (int d = 0; d < index.rank; ++d) {
    const int64_t stride = index.strides[d];
    if (stride < -kLimit || stride > kLimit) return std::nullopt;
    const int64_t step = std::abs(stride);
    if (step != 0 && index.sizes[d] - 1 > (kLimit - reach) / step) return std::nullopt;
    reach += (index.sizes[d] - 1) * step;
  }

  fast.rank = index.rank;
  fast.base = static_cast<int32_t>(index.base);
  if (index.rank > 0) {
    fast.outer_stride = static_cast<int32_t>(index.strides[0]);
    fast.inner_size = static_cast<int32_t>(index.sizes[index.rank - 1]);
    fast.inner_stride = static_cast<int32_t>(index.strides[index.rank - 1]);
  }
  for (int k = 0; k + 1 < index.rank; ++k) {
    const int d = index.rank - 1 - k;
    fast.dims[k] = FastDivmod32::Make(static_cast<uint32_t>(index.sizes[d]));
    fast.strides[k] = static_cast<int32_t>(index.strides[d]);
  }
  return fast;
}

Result<StridedIndex> BroadcastIndex(std::span<const int64_t> input_shape,
                                    std::span<const int64_t> output_shape) {
  const size_t lead = output_shape.size() - input_shape.size();
  bool broadcastable = input_shape.size() <= output_shape.size();
  for (size_t d = 0; broadcastable && d < input_shape.size(); ++d) {
    broadcastable = input_shape[d] == 1 || input_shape[d] == output_shape[lead + d];
  }
  if (!broadcastable) {
    return Error(ErrorCode::kInvalidArgument, "shape {} does not broadcast to {}", ShapeToString(input_shape),
                 ShapeToString(output_shape));
  }
  return MakeStridedIndex(output_shape, BroadcastStrides(input_shape, output_shape));
}

}  // namespace missile::ops
