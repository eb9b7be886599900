// What the tiled attention kernels (attention_tiles.cu, attention_mma.cu) share: the instantiations a launch
// picks from, where a block's queries and its group's keys and values are, and staging rows of them into
// shared memory.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "core/status.h"
#include "ops/cuda/attention_launch.h"

namespace missile::ops::cuda {

// The instantiated head width that holds `head_dim` (narrower heads are zero-padded), or 0 if none does.
inline int PaddedWidth(int head_dim) {
  for (int width : {32, 64, 128}) {
    if (head_dim <= width) return width;
  }
  return 0;
}

// Calls fn.template operator()<T, kD, kVector>() for the instantiation that serves (dtype, head_dim, vector).
template <typename Fn>
Status VisitAttentionTiles(DataType dtype, int head_dim, bool vector, Fn&& fn) {
  auto with_type = [&]<typename T>() -> Status {
    auto with_width = [&]<int kD>() -> Status {
      return vector ? fn.template operator()<T, kD, true>() : fn.template operator()<T, kD, false>();
    };
    switch (PaddedWidth(head_dim)) {
      case 32:
        return with_width.template operator()<32>();
      case 64:
        return with_width.template operator()<64>();
      case 128:
        return with_width.template operator()<128>();
      default:
        return Error(ErrorCode::kUnimplemented, "the tiled attention kernels take heads up to 128, got {}",
                     head_dim);
    }
  };
  switch (dtype) {
    case DataType::kFloat32:
      return with_type.template operator()<float>();
    case DataType::kFloat16:
      return with_type.template operator()<__half>();
    default:
      return Error(ErrorCode::kUnimplemented, "FusedAttention on {} is not supported by the CUDA backend",
                   DataTypeName(dtype));
  }
}

// A block takes kRows queries of one group: blocks run over the groups, each group's query tiles in turn.
template <int kRows, typename T>
struct BlockWork {
  int64_t group;
  int64_t first_query;
  const T* keys;  // the group's K and V (operand offsets applied)
  const T* values;

  __device__ static BlockWork Of(const AttentionParams& p, const T* k, const T* v) {
    const int64_t query_tiles = (p.seq_q + kRows - 1) / kRows;
    const int64_t group = blockIdx.x / query_tiles;
    return {group, (blockIdx.x % query_tiles) * kRows, k + p.k.offset + p.k.GroupOffset(group),
            v + p.v.offset + p.v.GroupOffset(group)};
  }
};

// Rows [row0, row0 + kRows) of one group, kD columns, zero past `rows` and `dim` so that partial tiles and
// padded heads add nothing. `kLd`: elements between rows in shared memory; with kVector, 16-byte loads (dim,
// the operand's offset and strides a multiple of 16 bytes, and `tile` rows 16-byte aligned).
template <typename T, int kD, int kLd, int kRows, int kThreads, bool kVector>
__device__ __forceinline__ void LoadTileRows(T* tile, const T* group, int64_t seq_stride, int64_t row0,
                                             int64_t rows, int dim) {
  constexpr int kWidth = kVector ? 16 / static_cast<int>(sizeof(T)) : 1;
  constexpr int kPerRow = kD / kWidth;
  for (int e = threadIdx.x; e < kRows * kPerRow; e += kThreads) {
    const int r = e / kPerRow;
    const int c = (e % kPerRow) * kWidth;
    T* dst = tile + r * kLd + c;
    const int64_t row = row0 + r;
    const bool inside = row < rows && c < dim;  // with vectors, dim is a multiple of the width
    if constexpr (kVector) {
      *reinterpret_cast<uint4*>(dst) =
          inside ? *reinterpret_cast<const uint4*>(group + row * seq_stride + c) : uint4{};
    } else {
      *dst = inside ? group[row * seq_stride + c] : T{};
    }
  }
}

}  // namespace missile::ops::cuda
