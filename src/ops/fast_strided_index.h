// A StridedIndex for tensors of fewer than 2^31 elements, evaluated without hardware division: each dim's
// divisor is replaced at build time by a multiply-high and a shift (Granlund & Montgomery, "Division by
// invariant integers using multiplication", 1994), so a broadcast operand's offset costs a few integer
// multiplies per dim instead of 64-bit divisions, which on a GPU are slower than the memory traffic of the
// elementwise op itself. Plain C++ so that CPU tests check it against StridedIndex.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/status.h"
#include "ops/strided_index.h"

namespace missile::ops {

// n / d and n % d for a divisor d fixed at build time, for 0 <= n < 2^31 and 1 <= d <= 2^31.
struct FastDivmod32 {
  uint32_t divisor = 1;
  uint32_t multiplier = 1;  // ceil-ish 2^32 * (2^shift - d) / d, see Make
  uint32_t shift = 0;       // ceil(log2 d)

  static FastDivmod32 Make(uint32_t d);

  MISSILE_HOST_DEVICE uint32_t Div(uint32_t n) const {
    // t = floor(n * m / 2^32) <= n, so t + n < 2^32 for n < 2^31.
    return (MulHi(n, multiplier) + n) >> shift;
  }

  MISSILE_HOST_DEVICE static uint32_t MulHi(uint32_t a, uint32_t b) {
#ifdef __CUDA_ARCH__
    return __umulhi(a, b);
#else
    return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
  }
};

// The same mapping as a StridedIndex (output linear index -> input offset), with dims stored innermost
// first so that a fully unrolled loop indexes them statically (no local-memory copy of the parameters on a
// GPU), and the outermost dim never divided: its coordinate is whatever is left of the linear index.
struct FastStridedIndex {
  static constexpr int kMaxDividedDims = kMaxIndexRank - 1;

  int32_t rank = 0;
  int32_t base = 0;
  int32_t outer_stride = 0;  // stride of the outermost dim (0 for rank 0)
  int32_t inner_size =
      0x7fffffff;  // size and stride of the innermost dim; rank 0: an endless run of stride 0
  int32_t inner_stride = 0;
  FastDivmod32 dims[kMaxDividedDims];  // dims[k] is dim rank-1-k, for k < rank-1
  int32_t strides[kMaxDividedDims] = {};

  // Input offset of output element `linear` (0 <= linear < the index's element count); `*inner` receives
  // its coordinate along the innermost dim, so a caller can step along that dim without dividing again.
  MISSILE_HOST_DEVICE int32_t Offset(uint32_t linear, int32_t* inner) const {
    int32_t offset = base;
    *inner = rank == 0 ? 0 : static_cast<int32_t>(linear);
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
    for (int k = 0; k < kMaxDividedDims; ++k) {
      if (k >= rank - 1) break;
      const uint32_t q = dims[k].Div(linear);
      const uint32_t r = linear - q * dims[k].divisor;
      if (k == 0) *inner = static_cast<int32_t>(r);
      offset += static_cast<int32_t>(r) * strides[k];
      linear = q;
    }
    return offset + static_cast<int32_t>(linear) * outer_stride;
  }

  MISSILE_HOST_DEVICE int32_t Offset(uint32_t linear) const {
    int32_t inner;
    return Offset(linear, &inner);
  }
};

// The fast form of `index`, or nullopt when its element count or any offset it produces does not fit in
// 31 bits (then callers use the StridedIndex itself).
std::optional<FastStridedIndex> MakeFastStridedIndex(const StridedIndex& index);

// How an input of `input_shape` is read when broadcast to `output_shape` (NumPy rules): an index over the
// output's elements, merged to the fewest dims.
Result<StridedIndex> BroadcastIndex(std::span<const int64_t> input_shape,
                                    std::span<const int64_t> output_shape);

}  // namespace missile::ops
