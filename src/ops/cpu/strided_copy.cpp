// CPU kernels of Transpose, Slice, Expand and Tile: all four are one operation, a strided view of the input
// copied into a contiguous output. Also the view operators (Reshape, Flatten, Squeeze, Unsqueeze), which
// copy their input only where the planner cannot alias it.
#include <cstring>

#include "ops/cpu/copy_kernel.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"
#include "ops/slice_geometry.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cpu {
namespace {

// out[i_0, ..., i_n] = in[offset + sum_d i_d * strides[d]] into a contiguous output of `shape`; strides are
// in elements and may be 0 (broadcast) or negative (reversed slices). Dims the view keeps contiguous are
// merged at build time, so Run copies the longest runs it can: memcpy when the innermost run is contiguous in
// the input too.
class StridedCopyKernel final : public Kernel {
 public:
  StridedCopyKernel(std::span<const int64_t> shape, std::span<const int64_t> strides, int64_t offset,
                    size_t element_size)
      : total_(NumElements(shape)), offset_(offset), element_size_(element_size) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;  // a size-1 dim moves nothing
      if (!dims_.empty() && strides_.back() == strides[d] * shape[d]) {
        dims_.back() *= shape[d];
        strides_.back() = strides[d];
      } else {
        dims_.push_back(shape[d]);
        strides_.push_back(strides[d]);
      }
    }
    if (dims_.empty()) {
      dims_ = {1};
      strides_ = {0};
    }
    inner_ = dims_.back();
    inner_stride_ = strides_.back();
    dims_.pop_back();  // the outer dims, walked row by row
    strides_.pop_back();
  }

  size_t rank() const { return dims_.size() + 1; }

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    VisitElementBits(element_size_, [&](auto tag) {
      using T = decltype(tag);
      const T* in = static_cast<const T*>(args.inputs[0]) + offset_;
      T* out = static_cast<T*>(args.outputs[0]);
      ParallelFor(total_ / inner_, MinChunk(inner_ * sizeof(T)), [&](int64_t begin, int64_t end) {
        Odometer index(dims_, begin);
        for (int64_t row = begin; row < end; ++row, index.Next()) {
          const T* src = in;
          for (size_t d = 0; d < dims_.size(); ++d) src += index[d] * strides_[d];
          T* dst = out + row * inner_;
          if (inner_stride_ == 1) {
            std::memcpy(dst, src, static_cast<size_t>(inner_) * sizeof(T));
          } else {
            for (int64_t i = 0; i < inner_; ++i) dst[i] = src[i * inner_stride_];
          }
        }
      });
    });
    return Status::Ok();
  }

 private:
  int64_t total_;
  int64_t offset_;
  size_t element_size_;
  std::vector<int64_t> dims_, strides_;
  int64_t inner_ = 1, inner_stride_ = 0;
};

KernelResult MakeStridedCopy(const NodeContext& ctx, std::span<const int64_t> shape,
                             std::span<const int64_t> strides, int64_t offset = 0) {
  auto kernel = std::make_unique<StridedCopyKernel>(shape, strides, offset, DataTypeSize(ctx.input_dtype(0)));
  MISSILE_RETURN_IF_ERROR(CheckDims(kernel->rank()));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

KernelResult CreateTranspose(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(TransposeGeometry g, TransposeGeometry::From(ctx));
  const std::vector<int64_t> in_strides = ContiguousStrides(ctx.input_shape(0));
  std::vector<int64_t> strides;
  for (int64_t axis : g.perm) strides.push_back(in_strides[static_cast<size_t>(axis)]);
  return MakeStridedCopy(ctx, g.output, strides);
}

KernelResult CreateSlice(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(SliceGeometry g, SliceGeometry::From(ctx));
  std::vector<int64_t> strides = ContiguousStrides(ctx.input_shape(0));
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += g.start[d] * strides[d];
    strides[d] *= g.step[d];
  }
  return MakeStridedCopy(ctx, g.output, strides, offset);
}

KernelResult CreateExpand(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ExpandGeometry g, ExpandGeometry::From(ctx));
  // Broadcast dims read one element over and over.
  std::vector<int64_t> strides = ContiguousStrides(g.input);
  for (size_t d = 0; d < g.input.size(); ++d) {
    if (g.input[d] == 1) strides[d] = 0;
  }
  return MakeStridedCopy(ctx, g.output, strides);
}

KernelResult CreateTile(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(TileGeometry g, TileGeometry::From(ctx));
  // Output dim d of size repeats * dim is, in row-major order, a [repeats, dim] pair: the repeat index reads
  // with stride 0. So Tile is a strided view of shape [r0, d0, r1, d1, ...].
  const Shape& in = ctx.input_shape(0);
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  Shape shape;
  std::vector<int64_t> strides;
  for (size_t d = 0; d < in.size(); ++d) {
    shape.insert(shape.end(), {g.repeats[d], in[d]});
    strides.insert(strides.end(), {0, in_strides[d]});
  }
  return MakeStridedCopy(ctx, shape, strides);
}

KernelResult CreateView(const NodeContext& ctx) {
  return MakeCopyKernel(ctx.output(0).nbytes());
}

const KernelEntry kKernels[] = {
    {"Reshape", CreateView},   {"Flatten", CreateView},        {"Squeeze", CreateView},
    {"Unsqueeze", CreateView}, {"Transpose", CreateTranspose}, {"Slice", CreateSlice},
    {"Expand", CreateExpand},  {"Tile", CreateTile},
};

}  // namespace

std::span<const KernelEntry> StridedCopyKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
