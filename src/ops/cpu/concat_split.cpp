// CPU kernels of Concat and Split. Both see the whole tensor as [outer, dim * inner] rows: along the axis,
// each part owns one contiguous chunk of every row.
#include <cstring>

#include "ops/axis_geometry.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"

namespace missile::ops::cpu {
namespace {

struct AxisChunks {
  int64_t outer = 1;
  int64_t row_bytes = 0;
  std::vector<int64_t> bytes;   // per part: its chunk of a row
  std::vector<int64_t> offset;  // per part: where its chunk starts in a row of the whole
};

// `part_dims` are the parts' sizes along the axis.
AxisChunks MakeAxisChunks(const Shape& whole, int axis, std::span<const int64_t> part_dims,
                          size_t element_size) {
  const AxisView view = AxisView::Around(whole, axis);
  AxisChunks chunks;
  chunks.outer = view.outer;
  const int64_t inner_bytes = view.inner * static_cast<int64_t>(element_size);
  for (int64_t dim : part_dims) {
    chunks.offset.push_back(chunks.row_bytes);
    chunks.bytes.push_back(dim * inner_bytes);
    chunks.row_bytes += chunks.bytes.back();
  }
  return chunks;
}

// Copies chunk k of row r from src(k, r) to dst(k, r) for every part and row; dst may return nullptr (an
// omitted output of Split). With a single row (DenseNet's channel concat) each part is one big copy, split
// across threads.
template <typename Src, typename Dst>
void CopyChunks(const AxisChunks& chunks, Src src, Dst dst) {
  if (chunks.outer == 1) {
    for (size_t k = 0; k < chunks.bytes.size(); ++k) {
      if (chunks.bytes[k] > 0 && dst(k, 0) != nullptr) ParallelCopy(dst(k, 0), src(k, 0), chunks.bytes[k]);
    }
    return;
  }
  ParallelFor(chunks.outer, MinChunk(chunks.row_bytes), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      for (size_t k = 0; k < chunks.bytes.size(); ++k) {
        if (chunks.bytes[k] > 0 && dst(k, row) != nullptr) {
          std::memcpy(dst(k, row), src(k, row), static_cast<size_t>(chunks.bytes[k]));
        }
      }
    }
  });
}

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(AxisChunks chunks) : chunks_(std::move(chunks)) {}
  Status Run(const KernelArgs& args) const override {
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    CopyChunks(
        chunks_,
        [&](size_t k, int64_t row) {
          return static_cast<const std::byte*>(args.inputs[k]) + row * chunks_.bytes[k];
        },
        [&](size_t k, int64_t row) { return out + row * chunks_.row_bytes + chunks_.offset[k]; });
    return Status::Ok();
  }

 private:
  AxisChunks chunks_;
};

class SplitKernel final : public Kernel {
 public:
  explicit SplitKernel(AxisChunks chunks) : chunks_(std::move(chunks)) {}
  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const std::byte*>(args.inputs[0]);
    CopyChunks(
        chunks_, [&](size_t k, int64_t row) { return in + row * chunks_.row_bytes + chunks_.offset[k]; },
        [&](size_t k, int64_t row) {
          auto* part = static_cast<std::byte*>(args.outputs[k]);
          return part == nullptr ? nullptr : part + row * chunks_.bytes[k];
        });
    return Status::Ok();
  }

 private:
  AxisChunks chunks_;
};

KernelResult CreateConcat(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ConcatGeometry g, ConcatGeometry::From(ctx));
  return MakeKernel<ConcatKernel>(
      MakeAxisChunks(g.output, g.axis, g.sizes, DataTypeSize(ctx.input_dtype(0))));
}

KernelResult CreateSplit(const NodeContext& ctx) {
  // The sizes come from the geometry, not from the output shapes: an omitted output has none.
  MISSILE_ASSIGN_OR_RETURN(SplitGeometry g, SplitGeometry::From(ctx));
  return MakeKernel<SplitKernel>(
      MakeAxisChunks(ctx.input_shape(0), g.axis, g.sizes, DataTypeSize(ctx.input_dtype(0))));
}

const KernelEntry kKernels[] = {
    {"Concat", CreateConcat},
    {"Split", CreateSplit},
};

}  // namespace

std::span<const KernelEntry> ConcatSplitKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
