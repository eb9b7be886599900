// CUDA kernels of Concat and Split. As on the CPU (ops/cpu/concat_split.cpp) the whole tensor is `outer` rows
// and each part owns one contiguous chunk of every row. One launch moves up to kMaxAxisParts parts, their
// pointers and row offsets passed by value; each thread moves one unit (up to 16 bytes) of the whole and
// finds its part by binary search over the offsets. Operators with more parts launch once per batch of
// parts.
#include "device/cuda/cuda_status.h"
#include "ops/axis_geometry.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/movement_common.cuh"
#include "ops/cuda/movement_factories.h"
#include "ops/movement_plan.h"

namespace missile::ops::cuda::movement {
namespace {

template <typename U>
struct PartPointers {
  U* parts[kMaxAxisParts];  // nullptr: an omitted output of Split
};

// Concat (kToWhole) copies parts into the whole, Split the whole into the parts. `row` is the whole's row
// length and n = outer * (batch.begin[count] - batch.begin[0]) the units this launch moves; all in units.
template <typename U, bool kToWhole>
__global__ void AxisPartsKernel(U* __restrict__ whole, PartPointers<U> parts, AxisPartBatch batch,
                                int64_t row, int64_t n) {
  const int64_t first = batch.begin[0];
  const int64_t span = batch.begin[batch.count] - first;
  MISSILE_GRID_STRIDE_LOOP(u, n) {
    const int64_t r = u / span;
    const int64_t p = first + (u - r * span);
    const int k = batch.Find(p);
    const int64_t chunk = batch.begin[k + 1] - batch.begin[k];
    const int64_t part_index = r * chunk + (p - batch.begin[k]);
    const int64_t whole_index = r * row + p;
    if constexpr (kToWhole) {
      whole[whole_index] = parts.parts[k][part_index];
    } else if (parts.parts[k] != nullptr) {
      parts.parts[k][part_index] = whole[whole_index];
    }
  }
}

class AxisPartsCopyKernel final : public Kernel {
 public:
  // `chunks`: per part, the elements it owns in each of the `outer` rows.
  AxisPartsCopyKernel(bool to_whole, int64_t outer, std::vector<int64_t> chunks, int element_bytes)
      : to_whole_(to_whole), outer_(outer), element_bytes_(element_bytes) {
    std::vector<int64_t> chunk_bytes;
    for (int64_t chunk : chunks) {
      begin_.push_back(row_);
      row_ += chunk;
      chunk_bytes.push_back(chunk * element_bytes);
    }
    begin_.push_back(row_);
    vector_bytes_ = std::max(element_bytes, CommonVectorBytes(chunk_bytes));
  }

  Status Run(const KernelArgs& args) const override {
    if (outer_ == 0 || row_ == 0) return Status::Ok();
    const size_t parts = begin_.size() - 1;
    void* whole = to_whole_ ? args.outputs[0] : const_cast<void*>(args.inputs[0]);
    // Part k's buffer; Concat's inputs are only read, whatever the pointer type says.
    auto part = [&](size_t k) { return to_whole_ ? const_cast<void*>(args.inputs[k]) : args.outputs[k]; };
    bool aligned = AlignedTo(vector_bytes_, whole, nullptr);
    for (size_t k = 0; k < parts && aligned; ++k) aligned = AlignedTo(vector_bytes_, part(k), nullptr);
    const int unit_bytes = aligned ? vector_bytes_ : element_bytes_;
    const int64_t per_unit = unit_bytes / element_bytes_;  // elements per unit; divides every chunk
    return VisitUnit(unit_bytes, [&](auto unit) -> Status {
      using U = decltype(unit);
      for (size_t first = 0; first < parts; first += kMaxAxisParts) {
        AxisPartBatch batch;
        PartPointers<U> pointers{};
        batch.count = static_cast<int>(std::min<size_t>(kMaxAxisParts, parts - first));
        for (int k = 0; k <= batch.count; ++k) batch.begin[k] = begin_[first + k] / per_unit;
        for (int k = 0; k < batch.count; ++k) pointers.parts[k] = static_cast<U*>(part(first + k));
        const int64_t n = outer_ * (batch.begin[batch.count] - batch.begin[0]);
        if (n == 0) continue;  // only empty parts
        const unsigned blocks = BlocksFor(n);
        U* whole_units = static_cast<U*>(whole);
        const int64_t row = row_ / per_unit;
        if (to_whole_) {
          AxisPartsKernel<U, true>
              <<<blocks, kThreadsPerBlock, 0, args.launch->stream>>>(whole_units, pointers, batch, row, n);
        } else {
          AxisPartsKernel<U, false>
              <<<blocks, kThreadsPerBlock, 0, args.launch->stream>>>(whole_units, pointers, batch, row, n);
        }
        MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      }
      return Status::Ok();
    });
  }

 private:
  bool to_whole_;
  int64_t outer_;
  int element_bytes_;
  std::vector<int64_t> begin_;  // per part and one past the last: where its chunk starts in a row
  int64_t row_ = 0;             // elements per row of the whole
  int vector_bytes_;            // the widest unit dividing every chunk
};

KernelResult MakeAxisPartsCopy(const NodeContext& ctx, bool to_whole, const Shape& whole, int axis,
                               std::span<const int64_t> part_dims) {
  const AxisView view = AxisView::Around(whole, axis);
  std::vector<int64_t> chunks;
  for (int64_t dim : part_dims) chunks.push_back(dim * view.inner);
  const int bytes = static_cast<int>(DataTypeSize(ctx.input_dtype(0)));
  return DispatchBySize(ctx.input_dtype(0), [&](auto) {
    return MakeKernel<AxisPartsCopyKernel>(to_whole, view.outer, std::move(chunks), bytes);
  });
}

}  // namespace

KernelResult CreateConcat(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(ConcatGeometry g, ConcatGeometry::From(ctx));
  return MakeAxisPartsCopy(ctx, /*to_whole=*/true, g.output, g.axis, g.sizes);
}

KernelResult CreateSplit(const NodeContext& ctx, const BuildContext&) {
  // The sizes come from the geometry, not from the output shapes: an omitted output has none.
  MISSILE_ASSIGN_OR_RETURN(SplitGeometry g, SplitGeometry::From(ctx));
  return MakeAxisPartsCopy(ctx, /*to_whole=*/false, ctx.input_shape(0), g.axis, g.sizes);
}

}  // namespace missile::ops::cuda::movement
