// CUDA kernels of Gather and ScatterND: copies addressed by index tensors that arrive with the request.
//
// The CPU kernels (ops/cpu/gather_scatter.cpp) check every index before moving anything and fail the request
// on one out of range. A GPU kernel cannot return a Status, and Run may not wait for the device to find out,
// so here an out-of-range index is made harmless instead, never read or written through:
//   - Gather writes zeros for the rows an out-of-range index would have picked;
//   - ScatterND skips the update slices whose index tuple is out of range.
// Negative indices count from the end, as on the CPU.
#include <algorithm>

#include "device/cuda/cuda_status.h"
#include "ops/axis_geometry.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/movement_common.cuh"
#include "ops/cuda/movement_factories.h"
#include "ops/movement_plan.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cuda::movement {
namespace {

// ---- Gather -----------------------------------------------------------------------------------------------

// Data viewed as [outer, dim, inner] (inner in units); out[o, t, k] = data[o, indices[t], k].
template <typename U, typename Index>
__global__ void GatherKernel(const U* __restrict__ data, const Index* __restrict__ indices,
                             U* __restrict__ out, int64_t count, int64_t dim, int64_t inner, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(u, n) {
    const int64_t row = u / inner;  // o * count + t
    const int64_t k = u - row * inner;
    const int64_t o = row / count;
    const int64_t t = row - o * count;
    int64_t index = static_cast<int64_t>(indices[t]);
    if (index < 0) index += dim;
    out[u] = index >= 0 && index < dim ? data[(o * dim + index) * inner + k] : U{};
  }
}

template <typename Index>
class GatherCopyKernel final : public Kernel {
 public:
  GatherCopyKernel(const GatherGeometry& g, int element_bytes)
      : outer_(g.data.outer),
        dim_(g.data.dim),
        count_(g.indices),
        inner_(g.data.inner),
        element_bytes_(element_bytes) {
    const int64_t row_bytes[] = {inner_ * element_bytes};
    vector_bytes_ = std::max(element_bytes, CommonVectorBytes(row_bytes));
  }

  Status Run(const KernelArgs& args) const override {
    const void* data = args.inputs[0];
    void* out = args.outputs[0];
    const int unit_bytes = AlignedTo(vector_bytes_, data, out) ? vector_bytes_ : element_bytes_;
    const int64_t inner = inner_ / (unit_bytes / element_bytes_);
    const int64_t n = outer_ * count_ * inner;
    if (n == 0) return Status::Ok();
    return VisitUnit(unit_bytes, [&](auto unit) -> Status {
      using U = decltype(unit);
      GatherKernel<U, Index><<<BlocksFor(n), kThreadsPerBlock, 0, args.launch->stream>>>(
          static_cast<const U*>(data), static_cast<const Index*>(args.inputs[1]), static_cast<U*>(out),
          count_, dim_, inner, n);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  int64_t outer_, dim_, count_, inner_;  // inner_ in elements
  int element_bytes_;
  int vector_bytes_;  // the widest unit dividing an inner block
};

// ---- ScatterND --------------------------------------------------------------------------------------------

using Reduction = ScatterNDGeometry::Reduction;

// The leading data dims an index tuple names, and their strides in elements.
struct TupleDims {
  int depth = 0;
  int64_t dims[kMaxIndexRank] = {};
  int64_t strides[kMaxIndexRank] = {};
};

// offsets[t]: the element offset of the slice tuple t names, or -1 when an index is out of range.
__global__ void ScatterOffsetsKernel(const int64_t* __restrict__ indices, TupleDims tuple, int64_t tuples,
                                     int64_t* __restrict__ offsets) {
  MISSILE_GRID_STRIDE_LOOP(t, tuples) {
    int64_t offset = 0;
    bool in_range = true;
    for (int k = 0; k < tuple.depth; ++k) {
      int64_t index = indices[t * tuple.depth + k];
      const int64_t dim = tuple.dims[k];
      if (index < 0) index += dim;
      in_range = in_range && index >= 0 && index < dim;
      offset += index * tuple.strides[k];
    }
    offsets[t] = in_range ? offset : -1;
  }
}

// The CPU applies the tuples in order, so of tuples naming the same slice the last one wins. Without a
// reduction the GPU writes them all at once; this pass keeps only the last of each set of duplicates:
// targets[t] = -1 where a later tuple names the same slice (or where t is out of range). Quadratic in the
// tuples, so only run up to kMaxOrderedTuples of them (ONNX itself leaves the result of duplicates
// unspecified). Each block compares its kThreadsPerBlock tuples with every later one, staged through shared
// memory a block's worth at a time, where all threads read the same element (a broadcast).
constexpr int64_t kMaxOrderedTuples = 16384;

__global__ void LastTupleWinsKernel(const int64_t* __restrict__ offsets, int64_t tuples,
                                    int64_t* __restrict__ targets) {
  __shared__ int64_t later[kThreadsPerBlock];
  // Block-uniform loops (every thread runs them, in range or not), so the barriers are safe.
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * kThreadsPerBlock; first < tuples;
       first += static_cast<int64_t>(gridDim.x) * kThreadsPerBlock) {
    const int64_t t = first + threadIdx.x;
    const int64_t mine = t < tuples ? offsets[t] : -1;
    bool superseded = false;
    for (int64_t chunk = first; chunk < tuples; chunk += kThreadsPerBlock) {
      __syncthreads();  // the previous chunk has been read by every thread
      if (chunk + threadIdx.x < tuples) later[threadIdx.x] = offsets[chunk + threadIdx.x];
      __syncthreads();
      const int64_t count = min(static_cast<int64_t>(kThreadsPerBlock), tuples - chunk);
      for (int64_t j = 0; j < count; ++j) superseded = superseded || (chunk + j > t && later[j] == mine);
    }
    if (t < tuples) targets[t] = superseded || mine < 0 ? -1 : mine;
  }
}

__device__ __forceinline__ void AtomicAdd(float* p, float v) {
  atomicAdd(p, v);
}
__device__ __forceinline__ void AtomicAdd(__half* p, __half v) {
  atomicAdd(p, v);
}
__device__ __forceinline__ void AtomicAdd(double* p, double v) {
  atomicAdd(p, v);
}
__device__ __forceinline__ void AtomicAdd(int32_t* p, int32_t v) {
  atomicAdd(reinterpret_cast<int*>(p), v);
}
__device__ __forceinline__ void AtomicAdd(int64_t* p, int64_t v) {
  // Two's complement: unsigned addition wraps to the same bits as signed.
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}

// The word atomicCAS swaps for an element of `kBytes`.
template <int kBytes>
struct CasWordOf;
template <>
struct CasWordOf<2> {
  using type = unsigned short;
};
template <>
struct CasWordOf<4> {
  using type = unsigned int;
};
template <>
struct CasWordOf<8> {
  using type = unsigned long long;
};

// *p *= v atomically: a compare-and-swap loop on the element's bits (CUDA has no atomic multiply).
template <typename T>
__device__ void AtomicMul(T* p, T v) {
  using Word = typename CasWordOf<sizeof(T)>::type;
  Word* word = reinterpret_cast<Word*>(p);
  Word old = *word, assumed;
  do {
    assumed = old;
    T current;
    memcpy(&current, &assumed, sizeof(T));
    const T product = FromCompute<T>(Load(&current, 0) * Load(&v, 0));
    Word replacement;
    memcpy(&replacement, &product, sizeof(T));
    old = atomicCAS(word, assumed, replacement);
  } while (old != assumed);
}

// Update element s of slice t goes to out[targets[t] + s], unless its tuple was skipped.
template <typename T, Reduction kReduction>
__global__ void ScatterUpdatesKernel(T* __restrict__ out, const T* __restrict__ updates,
                                     const int64_t* __restrict__ targets, int64_t slice, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(u, n) {
    const int64_t t = u / slice;
    const int64_t target = targets[t];
    if (target < 0) continue;
    T* dst = out + target + (u - t * slice);
    if constexpr (kReduction == Reduction::kNone) {
      *dst = updates[u];
    } else if constexpr (kReduction == Reduction::kAdd) {
      AtomicAdd(dst, updates[u]);
    } else {
      AtomicMul(dst, updates[u]);
    }
  }
}

// ScatterND: a copy of data, then the update slices written (or combined) where the index tuples point.
template <typename T, Reduction kReduction>
class ScatterNDKernel final : public Kernel {
 public:
  ScatterNDKernel(const TupleDims& tuple, const ScatterNDGeometry& g, int64_t slice, size_t data_bytes)
      : tuple_(tuple), tuples_(g.tuples), slice_(slice), data_bytes_(data_bytes) {}

  size_t workspace_bytes() const override {
    return static_cast<size_t>(tuples_) * sizeof(int64_t) * (OrdersTuples() ? 2 : 1);
  }

  Status Run(const KernelArgs& args) const override {
    const cudaStream_t stream = args.launch->stream;
    const T* data = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    if (data_bytes_ > 0 && static_cast<const void*>(out) != static_cast<const void*>(data)) {
      MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out, data, data_bytes_, cudaMemcpyDeviceToDevice, stream));
    }
    if (tuples_ == 0 || slice_ == 0) return Status::Ok();
    auto* offsets = static_cast<int64_t*>(args.workspace);
    ScatterOffsetsKernel<<<BlocksFor(tuples_), kThreadsPerBlock, 0, stream>>>(
        static_cast<const int64_t*>(args.inputs[1]), tuple_, tuples_, offsets);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    const int64_t* targets = offsets;
    if (OrdersTuples()) {
      int64_t* winners = offsets + tuples_;
      LastTupleWinsKernel<<<BlocksFor(tuples_), kThreadsPerBlock, 0, stream>>>(offsets, tuples_, winners);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      targets = winners;
    }
    const int64_t n = tuples_ * slice_;
    ScatterUpdatesKernel<T, kReduction><<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(
        out, static_cast<const T*>(args.inputs[2]), targets, slice_, n);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  // Whether duplicates are resolved as the CPU resolves them (the reductions combine them all anyway).
  bool OrdersTuples() const {
    return kReduction == Reduction::kNone && tuples_ > 1 && tuples_ <= kMaxOrderedTuples;
  }

  TupleDims tuple_;
  int64_t tuples_, slice_;
  size_t data_bytes_;
};

}  // namespace

KernelResult CreateGather(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(GatherGeometry g, GatherGeometry::From(ctx));
  const int bytes = static_cast<int>(DataTypeSize(ctx.input_dtype(0)));
  return DispatchBySize(ctx.input_dtype(0), [&](auto) -> KernelResult {
    if (ctx.input_dtype(1) == DataType::kInt32) return MakeKernel<GatherCopyKernel<int32_t>>(g, bytes);
    return MakeKernel<GatherCopyKernel<int64_t>>(g, bytes);
  });
}

KernelResult CreateScatterND(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(ScatterNDGeometry g, ScatterNDGeometry::From(ctx));
  const Shape& data = ctx.input_shape(0);
  if (g.depth > kMaxIndexRank) {
    return Error(ErrorCode::kUnimplemented,
                 "ScatterND index tuples of more than {} elements are not supported "
                 "by the CUDA backend, got {}",
                 kMaxIndexRank, g.depth);
  }
  TupleDims tuple;
  tuple.depth = static_cast<int>(g.depth);
  const std::vector<int64_t> strides = ContiguousStrides(data);
  for (int k = 0; k < tuple.depth; ++k) {
    tuple.dims[k] = data[static_cast<size_t>(k)];
    tuple.strides[k] = strides[static_cast<size_t>(k)];
  }
  const int64_t slice = DimProduct(data, static_cast<size_t>(g.depth), data.size());
  const size_t data_bytes = ctx.input(0).nbytes();
  switch (g.reduction) {
    case Reduction::kNone:
      // Only bits move: any type of the element's width will do.
      return DispatchBySize(ctx.input_dtype(0), [&](auto tag) {
        return MakeKernel<ScatterNDKernel<decltype(tag), Reduction::kNone>>(tuple, g, slice, data_bytes);
      });
    case Reduction::kAdd:
      return DispatchArithmetic(ctx.input_dtype(0), "ScatterND reduction 'add'", [&](auto tag) {
        return MakeKernel<ScatterNDKernel<decltype(tag), Reduction::kAdd>>(tuple, g, slice, data_bytes);
      });
    case Reduction::kMul:
      return DispatchArithmetic(ctx.input_dtype(0), "ScatterND reduction 'mul'", [&](auto tag) {
        return MakeKernel<ScatterNDKernel<decltype(tag), Reduction::kMul>>(tuple, g, slice, data_bytes);
      });
  }
  return Error(ErrorCode::kInternal, "unknown ScatterND reduction");
}

}  // namespace missile::ops::cuda::movement
