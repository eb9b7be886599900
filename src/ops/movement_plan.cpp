#include "ops/movement_plan.h"

#include <vector>

namespace missile::ops {

Result<TileIndex> MakeTileIndex(std::span<const int64_t> input, std::span<const int64_t> repeats) {
  struct Dim {
    int64_t size, period, stride;
  };
  const std::vector<int64_t> in_strides = ContiguousStrides(input);
  std::vector<Dim> dims;
  for (size_t d = 0; d < input.size(); ++d) {
    Dim dim{input[d] * repeats[d], input[d], in_strides[d]};
    if (dim.size == 1) continue;  // reads index 0 only
    // A dim of one input element tiled reads it over and over: a broadcast, which merges like any other.
    if (dim.period == 1) dim = {dim.size, dim.size, 0};
    // Merge into the previous dim when this one is not tiled and stepping the previous once equals
    // stepping this one through its whole extent: j_prev * size + j reduced mod (period_prev * size) is
    // (j_prev mod period_prev) * size + j, since j < size.
    if (!dims.empty() && dim.period == dim.size && dims.back().stride == dim.stride * dim.size) {
      dims.back() = {dims.back().size * dim.size, dims.back().period * dim.size, dim.stride};
    } else {
      dims.push_back(dim);
    }
  }
  if (dims.size() > static_cast<size_t>(kMaxIndexRank)) {
    return Error(ErrorCode::kUnimplemented, "the CUDA backend tiles at most {} non-mergeable dims, got {}",
                 kMaxIndexRank, dims.size());
  }
  TileIndex index;
  index.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    index.sizes[d] = dims[d].size;
    index.periods[d] = dims[d].period;
    index.strides[d] = dims[d].stride;
  }
  return index;
}

std::optional<StridedIndex> VectorizedIndex(const StridedIndex& index, int64_t factor) {
  if (factor <= 1 || index.rank == 0) return std::nullopt;
  const int last = index.rank - 1;
  if (index.strides[last] != 1 || index.sizes[last] % factor != 0 || index.base % factor != 0) {
    return std::nullopt;
  }
  for (int d = 0; d < last; ++d) {
    if (index.strides[d] % factor != 0) return std::nullopt;
  }
  StridedIndex vectors = index;
  vectors.sizes[last] /= factor;
  for (int d = 0; d < last; ++d) vectors.strides[d] /= factor;
  vectors.base /= factor;
  return vectors;
}

std::optional<BatchedTranspose> AsBatchedTranspose(const StridedIndex& index) {
  // Output [cols, rows] reading input [rows, cols]: output dim 0 steps one input column (stride 1), output
  // dim 1 steps one input row (stride cols). MakeStridedIndex has merged every other contiguous dim away.
  if (index.base != 0) return std::nullopt;
  if (index.rank == 2 && index.strides[0] == 1 && index.strides[1] == index.sizes[0]) {
    return BatchedTranspose{.batch = 1, .rows = index.sizes[1], .cols = index.sizes[0]};
  }
  if (index.rank == 3 && index.strides[1] == 1 && index.strides[2] == index.sizes[1] &&
      index.strides[0] == index.sizes[1] * index.sizes[2]) {
    return BatchedTranspose{.batch = index.sizes[0], .rows = index.sizes[2], .cols = index.sizes[1]};
  }
  return std::nullopt;
}

int CommonVectorBytes(std::span<const int64_t> byte_counts, int max_bytes) {
  int bytes = max_bytes;
  while (bytes > 1) {
    bool divides = true;
    for (int64_t count : byte_counts) divides = divides && count % bytes == 0;
    if (divides) break;
    bytes /= 2;
  }
  return bytes;
}

}  // namespace missile::ops
