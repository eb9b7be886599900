// ArgMax / ArgMin along one axis (ArgReduceGeometry: the input seen as [outer, dim, inner], dim >= 1), for
// float32, float16, float64, int64 and int32, into int64, with the CPU kernel's exact answer. The CPU walks
// the axis keeping the best value so far, starting from element 0 and replacing it by a strictly better one
// (or an equal one with select_last_index). So a NaN at position 0 is never replaced (the answer is 0), and
// any other NaN is never taken: the answer is then the first (or last) extreme among the non-NaN elements.
//
// The last axis (inner == 1, GPT-2's next-token argmax over the vocabulary) is a block per row combining
// (value, position) candidates; another axis is a thread per (outer, inner) column running the CPU's loop.
#include "device/cuda/cuda_status.h"
#include "ops/axis_geometry.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/reduce_common.cuh"
#include "ops/cuda/reduce_family.h"

namespace missile::ops::cuda {
namespace {

template <typename A, bool kMax>
__device__ __forceinline__ bool Better(A v, A best) {
  return kMax ? v > best : v < best;
}

// A candidate extreme: its value and position, or position -1 for none (no element, or only NaNs, seen).
template <typename A>
struct Candidate {
  A value;
  int64_t position;
};

// The better of two candidates; of equal values, the first position or, with select_last, the last.
template <typename A, bool kMax>
__device__ __forceinline__ Candidate<A> Pick(Candidate<A> a, Candidate<A> b, bool select_last) {
  if (b.position < 0) return a;
  if (a.position < 0) return b;
  if (Better<A, kMax>(b.value, a.value)) return b;
  if (Better<A, kMax>(a.value, b.value)) return a;
  return (select_last ? b.position > a.position : b.position < a.position) ? b : a;
}

template <typename A, bool kMax>
__device__ __forceinline__ Candidate<A> WarpPick(Candidate<A> c, bool select_last) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    const Candidate<A> other{__shfl_xor_sync(kFullWarp, c.value, offset),
                             __shfl_xor_sync(kFullWarp, c.position, offset)};
    c = Pick<A, kMax>(c, other, select_last);
  }
  return c;
}

// A block (a multiple of 32 threads) per row.
template <typename T, bool kMax>
__global__ void ArgReduceRowsKernel(const T* in, int64_t* out, int64_t rows, int64_t dim, bool select_last) {
  using A = ComputeType<T>;
  __shared__ A values[32];
  __shared__ int64_t positions[32];
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {  // uniform across the block
    const T* x = in + row * dim;
    Candidate<A> best{A(0), -1};
    for (int64_t l = threadIdx.x; l < dim; l += blockDim.x) {
      const A v = Load(x, l);
      if (IsNan(v)) continue;
      // A thread sees its positions in increasing order.
      if (best.position < 0 || Better<A, kMax>(v, best.value) || (select_last && v == best.value))
        best = {v, l};
    }
    best = WarpPick<A, kMax>(best, select_last);
    __syncthreads();  // the previous row's candidates are read
    if (lane == 0) {
      values[warp] = best.value;
      positions[warp] = best.position;
    }
    __syncthreads();
    if (warp == 0) {
      const int warps = static_cast<int>(blockDim.x + 31) / 32;
      Candidate<A> c = lane < warps ? Candidate<A>{values[lane], positions[lane]} : Candidate<A>{A(0), -1};
      c = WarpPick<A, kMax>(c, select_last);
      if (lane == 0) out[row] = IsNan(Load(x, 0)) || c.position < 0 ? 0 : c.position;
    }
  }
}

// A thread per (outer, inner) column: the CPU's loop.
template <typename T, bool kMax>
__global__ void ArgReduceColumnsKernel(const T* in, int64_t* out, int64_t outer, int64_t dim, int64_t inner,
                                       bool select_last) {
  using A = ComputeType<T>;
  MISSILE_GRID_STRIDE_LOOP(column, outer * inner) {
    const T* x = in + (column / inner) * dim * inner + column % inner;
    A best = Load(x, 0);
    int64_t best_position = 0;
    for (int64_t l = 1; l < dim; ++l) {
      const A v = Load(x, l * inner);
      if (Better<A, kMax>(v, best) || (select_last && v == best)) {
        best = v;
        best_position = l;
      }
    }
    out[column] = best_position;
  }
}

template <typename T, bool kMax>
class ArgReduceKernel final : public Kernel {
 public:
  ArgReduceKernel(AxisView view, bool select_last) : view_(view), select_last_(select_last) {}

  Status Run(const KernelArgs& args) const override {
    const auto [outer, dim, inner] = view_;
    if (outer * inner == 0) return Status::Ok();  // dim >= 1 (ArgReduceGeometry)
    const T* in = static_cast<const T*>(args.inputs[0]);
    auto* out = static_cast<int64_t*>(args.outputs[0]);
    const cudaStream_t stream = args.launch->stream;
    if (inner == 1 && dim > 1) {
      const int threads = dim <= 256 ? 32 : (dim <= 4096 ? 128 : 512);
      ArgReduceRowsKernel<T, kMax>
          <<<BlocksFor(outer, 1), threads, 0, stream>>>(in, out, outer, dim, select_last_);
    } else {
      ArgReduceColumnsKernel<T, kMax><<<BlocksFor(outer * inner), kThreadsPerBlock, 0, stream>>>(
          in, out, outer, dim, inner, select_last_);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  AxisView view_;
  bool select_last_;
};

template <bool kMax>
KernelResult CreateArgReduce(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ArgReduceGeometry g, ArgReduceGeometry::From(ctx));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) {
    return MakeKernel<ArgReduceKernel<decltype(tag), kMax>>(g.view, g.select_last);
  });
}

}  // namespace

KernelResult CreateArgMax(const NodeContext& ctx, const BuildContext&) {
  return CreateArgReduce<true>(ctx);
}
KernelResult CreateArgMin(const NodeContext& ctx, const BuildContext&) {
  return CreateArgReduce<false>(ctx);
}

}  // namespace missile::ops::cuda
