// Mapping an output element's linear index to an input element's offset, for every GPU kernel that reads its
// input through strides: broadcasting, transposes, slices, expands. Built on the host with the merged,
// broadcast-aware dims and copied by value into the kernel's parameters. Plain C++ so that CPU tests cover
// the index arithmetic the GPU kernels rely on.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

#ifdef __CUDACC__
#define MISSILE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define MISSILE_HOST_DEVICE inline
#endif

namespace missile::ops {

inline constexpr int kMaxIndexRank = 8;

struct StridedIndex {
  int rank = 0;
  int64_t sizes[kMaxIndexRank] = {};    // output dims, outermost first
  int64_t strides[kMaxIndexRank] = {};  // input element stride per output dim (0: broadcast; may be negative)
  int64_t base = 0;                     // input offset of output element 0

  // Input offset of the output element with linear (row-major) index `linear`.
  MISSILE_HOST_DEVICE int64_t Offset(int64_t linear) const {
    int64_t offset = base;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t size = sizes[d];
      const int64_t q = linear / size;
      offset += (linear - q * size) * strides[d];
      linear = q;
    }
    return offset;
  }
};

// An index over `sizes` reading through `strides`, with adjacent dims merged wherever the input is
// contiguous across them (so a plain copy becomes rank 1). Fails above kMaxIndexRank dims after merging.
Result<StridedIndex> MakeStridedIndex(std::span<const int64_t> sizes, std::span<const int64_t> strides,
                                      int64_t base = 0);

// The strides with which an input of `input_shape` is read when broadcast to `output_shape` (NumPy rules,
// aligned to the right): the input's own row-major strides, 0 along broadcast dims. One per output dim.
std::vector<int64_t> BroadcastStrides(std::span<const int64_t> input_shape,
                                      std::span<const int64_t> output_shape);

// Row-major strides of a contiguous tensor of `shape`.
std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape);

}  // namespace missile::ops
