// What the CPU data-movement kernels share. Most of them move elements without looking at them, so they are
// written once over the element's size and serve every dtype: shape sub-graphs (Shape -> Gather -> Concat ->
// Reshape) fold at load through these same kernels in int64.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/parallel.h"
#include "core/status.h"

namespace missile::ops::cpu {

// Below this much data a loop runs on the calling thread: waking the pool costs more than it saves.
inline constexpr int64_t kMinParallelBytes = int64_t{1} << 17;
// Dims a kernel walks with an odometer (after merging the dims a view keeps contiguous).
inline constexpr size_t kMaxDims = 16;

// Returns fn(T{}) with T an unsigned integer as wide as one element: movement kernels copy bits, not values.
template <typename Fn>
auto VisitElementBits(size_t element_size, Fn&& fn) {
  switch (element_size) {
    case 1:
      return fn(uint8_t{});
    case 2:
      return fn(uint16_t{});
    case 4:
      return fn(uint32_t{});
    default:
      return fn(uint64_t{});
  }
}

// Rows (or other units) per ParallelFor chunk, so that each chunk moves at least kMinParallelBytes.
inline int64_t MinChunk(int64_t unit_bytes) {
  return std::max<int64_t>(1, kMinParallelBytes / std::max<int64_t>(unit_bytes, 1));
}

inline void ParallelCopy(std::byte* dst, const std::byte* src, int64_t bytes) {
  ParallelFor(bytes, kMinParallelBytes, [&](int64_t begin, int64_t end) {
    std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin));
  });
}

inline Status CheckDims(size_t dims) {
  if (dims > kMaxDims) {
    return Error(ErrorCode::kUnimplemented, "tensors of more than {} dims are not supported", kMaxDims);
  }
  return Status::Ok();
}

// A multi-index over `dims` that starts at a linear position and steps in row-major order.
class Odometer {
 public:
  Odometer(std::span<const int64_t> dims, int64_t position) : dims_(dims) {
    for (size_t d = dims.size(); d-- > 0;) {
      index_[d] = position % dims[d];
      position /= dims[d];
    }
  }
  int64_t operator[](size_t d) const { return index_[d]; }
  void Next() {
    for (size_t d = dims_.size(); d-- > 0;) {
      if (++index_[d] < dims_[d]) return;
      index_[d] = 0;
    }
  }

 private:
  std::span<const int64_t> dims_;
  std::array<int64_t, kMaxDims> index_{};
};

}  // namespace missile::ops::cpu
