// CPU kernels of Gather and ScatterND: copies addressed by index tensors that arrive with the request, so
// Run checks every index before it moves anything.
#include <cstring>

#include "ops/axis_geometry.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cpu {
namespace {

// Reads indices of either integer type as int64.
template <typename Index>
int64_t IndexAt(const void* indices, int64_t i) {
  return static_cast<int64_t>(static_cast<const Index*>(indices)[i]);
}

// Gather: data viewed as [outer, dim, inner]; each index picks one inner block per outer row.
template <typename Index>
class GatherKernel final : public Kernel {
 public:
  GatherKernel(const GatherGeometry& g, size_t element_size)
      : outer_(g.data.outer),
        dim_(g.data.dim),
        count_(g.indices),
        inner_bytes_(g.data.inner * static_cast<int64_t>(element_size)),
        axis_(g.axis) {}

  Status Run(const KernelArgs& args) const override {
    // Indices come from the request (token ids): check them all before moving anything.
    for (int64_t i = 0; i < count_; ++i) {
      const int64_t index = IndexAt<Index>(args.inputs[1], i);
      if (index < -dim_ || index >= dim_) {
        return Error(ErrorCode::kInvalidArgument,
                     "Gather index {} (position {} of the indices) is out of range [{}, {}) for axis {}",
                     index, i, -dim_, dim_, axis_);
      }
    }
    const auto* data = static_cast<const std::byte*>(args.inputs[0]);
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    ParallelFor(outer_ * count_, MinChunk(inner_bytes_), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t o = r / count_;
        int64_t index = IndexAt<Index>(args.inputs[1], r % count_);
        if (index < 0) index += dim_;
        std::memcpy(out + r * inner_bytes_, data + (o * dim_ + index) * inner_bytes_,
                    static_cast<size_t>(inner_bytes_));
      }
    });
    return Status::Ok();
  }

 private:
  int64_t outer_, dim_, count_, inner_bytes_;
  int axis_;
};

KernelResult CreateGather(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(GatherGeometry g, GatherGeometry::From(ctx));
  const size_t element_size = DataTypeSize(ctx.input_dtype(0));
  if (ctx.input_dtype(1) == DataType::kInt32) return MakeKernel<GatherKernel<int32_t>>(g, element_size);
  return MakeKernel<GatherKernel<int64_t>>(g, element_size);
}

// ScatterND: a copy of data with the slices the index tuples name overwritten (or combined) with updates.
template <typename T>
class ScatterNDKernel final : public Kernel {
 public:
  using Reduction = ScatterNDGeometry::Reduction;
  ScatterNDKernel(Shape data, const ScatterNDGeometry& g)
      : data_(std::move(data)),
        strides_(ContiguousStrides(data_)),
        tuples_(g.tuples),
        depth_(g.depth),
        slice_(DimProduct(data_, static_cast<size_t>(g.depth), data_.size())),
        reduction_(g.reduction) {}

  Status Run(const KernelArgs& args) const override {
    const T* data = static_cast<const T*>(args.inputs[0]);
    const auto* indices = static_cast<const int64_t*>(args.inputs[1]);
    const T* updates = static_cast<const T*>(args.inputs[2]);
    T* out = static_cast<T*>(args.outputs[0]);
    if (out != data) {
      ParallelCopy(reinterpret_cast<std::byte*>(out), reinterpret_cast<const std::byte*>(data),
                   NumElements(data_) * static_cast<int64_t>(sizeof(T)));
    }
    // Sequential: later tuples win (or accumulate) over earlier ones naming the same slice.
    for (int64_t t = 0; t < tuples_; ++t) {
      int64_t offset = 0;
      for (int64_t k = 0; k < depth_; ++k) {
        int64_t index = indices[t * depth_ + k];
        const int64_t dim = data_[static_cast<size_t>(k)];
        if (index < -dim || index >= dim) {
          return Error(ErrorCode::kInvalidArgument,
                       "ScatterND index {} (tuple {}, element {}) is out of range [{}, {})", index, t, k,
                       -dim, dim);
        }
        offset += (index < 0 ? index + dim : index) * strides_[static_cast<size_t>(k)];
      }
      T* dst = out + offset;
      const T* src = updates + t * slice_;
      switch (reduction_) {
        case Reduction::kNone:
          std::copy(src, src + slice_, dst);
          break;
        case Reduction::kAdd:
          for (int64_t i = 0; i < slice_; ++i) dst[i] += src[i];
          break;
        case Reduction::kMul:
          for (int64_t i = 0; i < slice_; ++i) dst[i] *= src[i];
          break;
      }
    }
    return Status::Ok();
  }

 private:
  Shape data_;
  std::vector<int64_t> strides_;
  int64_t tuples_, depth_, slice_;
  Reduction reduction_;
};

KernelResult CreateScatterND(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ScatterNDGeometry g, ScatterNDGeometry::From(ctx));
  auto make = [&](auto tag) -> KernelResult {
    return MakeKernel<ScatterNDKernel<decltype(tag)>>(ctx.input_shape(0), g);
  };
  const DataType dtype = ctx.input_dtype(0);
  // Without a reduction only bits move: any type of the element's width will do.
  if (g.reduction == ScatterNDGeometry::Reduction::kNone) return VisitElementBits(DataTypeSize(dtype), make);
  const char* name = g.reduction == ScatterNDGeometry::Reduction::kAdd ? "add" : "mul";
  return DispatchArithmetic(dtype, fmt::format("ScatterND reduction '{}'", name), make);
}

const KernelEntry kKernels[] = {
    {"Gather", CreateGather},
    {"ScatterND", CreateScatterND},
};

}  // namespace

std::span<const KernelEntry> GatherScatterKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
