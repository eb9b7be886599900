// Per-dim index maps, as the GPU kernels of Pad and nearest Resize read them: output index j along dim d
// reads input index map_d[j], or the fill where a map holds -1 (ops/pad_geometry.h, ops/resize_geometry.h
// give the maps). Dims whose map is the identity (unpadded, unscaled) need no table and merge with identity
// neighbours, so an N-D pad of the last two dims indexes three dims. Plain C++ so that CPU tests cover the
// arithmetic the kernels run per element.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/function_ref.h"
#include "core/status.h"
#include "ops/strided_index.h"

namespace missile::ops {

struct IndexMapIndex {
  int rank = 0;
  int64_t sizes[kMaxIndexRank] = {};       // output dims, outermost first
  int64_t in_strides[kMaxIndexRank] = {};  // input element stride per dim
  int64_t tables[kMaxIndexRank] = {};      // where the dim's map starts in the table, or -1: the identity

  // The input offset output element `linear` reads, or -1 where it reads the fill. `table` holds the maps.
  MISSILE_HOST_DEVICE int64_t Offset(int64_t linear, const int64_t* table) const {
    int64_t offset = 0;
    bool fill = false;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t size = sizes[d];
      const int64_t q = linear / size;
      const int64_t j = linear - q * size;
      linear = q;
      const int64_t source = tables[d] < 0 ? j : table[tables[d] + j];
      fill = fill || source < 0;
      offset += source * in_strides[d];
    }
    return fill ? -1 : offset;
  }
};

struct IndexMapPlan {
  IndexMapIndex index;
  std::vector<int64_t> table;  // the non-identity dims' maps, one after another
};

// The plan for an output of shape `out` reading a contiguous input of shape `in` (same rank) through
// source(d, j): the input index output index j along dim d reads, or -1 for the fill. Fails above
// kMaxIndexRank dims after merging.
Result<IndexMapPlan> PlanIndexMap(std::span<const int64_t> in, std::span<const int64_t> out,
                                  FunctionRef<int64_t(size_t, int64_t)> source);

}  // namespace missile::ops
