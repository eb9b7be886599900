// Host-side planning for the GPU data-movement kernels (Transpose, Slice, Expand, Tile, Concat, Split,
// Gather): the index arithmetic their kernels run per element and the decisions taken once when a kernel is
// built (vector widths, the batched-transpose fast path). Plain C++ so that CPU tests cover it; the structs
// are copied by value into kernel parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/status.h"
#include "ops/strided_index.h"

namespace missile::ops {

// Tile's read as an index: output dim d (of size repeats * input dim) reads input index j mod period[d].
// Dims that are not tiled are merged with their neighbours as StridedIndex merges contiguous ones, so a
// tiled tensor of any rank needs at most twice as many index dims as it has tiled ones.
struct TileIndex {
  int rank = 0;
  int64_t sizes[kMaxIndexRank] = {};    // output dims, outermost first
  int64_t periods[kMaxIndexRank] = {};  // input extent each output dim cycles through (== size: no repeat)
  int64_t strides[kMaxIndexRank] = {};  // input element stride per dim

  MISSILE_HOST_DEVICE int64_t Offset(int64_t linear) const {
    int64_t offset = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t size = sizes[d];
      const int64_t q = linear / size;
      int64_t j = linear - q * size;
      if (j >= periods[d]) j %= periods[d];
      offset += j * strides[d];
      linear = q;
    }
    return offset;
  }
};

// The index reading a contiguous input of shape `input` tiled `repeats` times along each dim. Fails above
// kMaxIndexRank dims after merging.
Result<TileIndex> MakeTileIndex(std::span<const int64_t> input, std::span<const int64_t> repeats);

// The same strided view read in vectors of `factor` consecutive elements: possible when the innermost dim
// is contiguous in the input (stride 1), its size and every other stride and the base are multiples of
// `factor`. Then output vector i is input vector Offset(i) of the result. nullopt otherwise.
std::optional<StridedIndex> VectorizedIndex(const StridedIndex& index, int64_t factor);

// A view that is a batch of matrix transposes: a contiguous input [batch, rows, cols] read as the output
// [batch, cols, rows] (NCHW <-> NHWC, [B, H, S, D] -> [B, H, D, S], a 2-D transpose). Such views get a tiled
// kernel that reads and writes whole rows.
struct BatchedTranspose {
  int64_t batch = 1;
  int64_t rows = 0;  // of the input
  int64_t cols = 0;  // of the input
};
std::optional<BatchedTranspose> AsBatchedTranspose(const StridedIndex& index);

// The widest power-of-two byte count, at most `max_bytes`, that divides every one of `byte_counts`: the
// widest vector (uint4 at 16) in which data of those sizes and offsets can be moved.
int CommonVectorBytes(std::span<const int64_t> byte_counts, int max_bytes = 16);

// Concat and Split see the whole tensor as `outer` rows, each part owning one contiguous chunk of every row
// (ops/axis_geometry.h's AxisView). A kernel launch moves a batch of up to kMaxAxisParts parts; it finds the
// part a row position belongs to with Find.
inline constexpr int kMaxAxisParts = 32;

struct AxisPartBatch {
  int count = 0;
  // Row positions (in elements or vectors): part k of the batch owns [begin[k], begin[k + 1]) of every row.
  int64_t begin[kMaxAxisParts + 1] = {};

  // The part owning row position p, begin[0] <= p < begin[count]: the last k < count with begin[k] <= p
  // (binary search; DenseNet concatenates dozens of parts). It owns p: begin[k + 1] > p, by maximality or,
  // for the last part, by p's range; so empty parts, whose begin equals the next one's, are never chosen.
  MISSILE_HOST_DEVICE int Find(int64_t p) const {
    int lo = 0, hi = count - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (begin[mid] <= p) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
};

}  // namespace missile::ops
