// CumSum along one axis (CumSumGeometry: the input seen as [outer, dim, inner]) with exclusive and reverse,
// for float32, float16 (summed in float32), float64, int64 and int32, as the CPU kernel computes it: output
// position l is the sum of the input positions before it in scan order, plus its own unless exclusive.
//
// The last axis (inner == 1) is a warp per row scanning 32 elements at a time with shuffles; another axis is
// a thread per (outer, inner) column summing down the axis, neighbouring threads on neighbouring columns.
#include "device/cuda/cuda_status.h"
#include "ops/axis_geometry.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/reduce_common.cuh"
#include "ops/cuda/reduce_family.h"

namespace missile::ops::cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // warps per block of the warp-per-row kernel

template <typename T>
__global__ void CumSumColumnsKernel(const T* in, T* out, int64_t outer, int64_t dim, int64_t inner,
                                    bool exclusive, bool reverse) {
  MISSILE_GRID_STRIDE_LOOP(column, outer * inner) {
    const int64_t base = (column / inner) * dim * inner + column % inner;
    const int64_t first = reverse ? dim - 1 : 0;
    const int64_t direction = reverse ? -1 : 1;
    ComputeType<T> sum = 0;
    for (int64_t step = 0; step < dim; ++step) {
      const int64_t at = base + (first + step * direction) * inner;
      const ComputeType<T> x = Load(in, at);
      if (exclusive) {
        out[at] = FromCompute<T>(sum);
        sum += x;
      } else {
        sum += x;
        out[at] = FromCompute<T>(sum);
      }
    }
  }
}

// Scan step s of a row is position reverse ? dim - 1 - s : s.
template <typename T>
__global__ void CumSumWarpRowsKernel(const T* in, T* out, int64_t rows, int64_t dim, bool exclusive,
                                     bool reverse) {
  using A = ComputeType<T>;
  const int lane = threadIdx.x % 32;
  const int64_t warp_stride = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; row < rows;
       row += warp_stride) {
    const T* x = in + row * dim;
    T* y = out + row * dim;
    A carry = 0;  // the sum of the chunks before this one
    for (int64_t chunk = 0; chunk < dim; chunk += 32) {
      const int64_t step = chunk + lane;
      const int64_t at = reverse ? dim - 1 - step : step;
      const A v = step < dim ? Load(x, at) : A(0);
      // Inclusive scan across the warp (Hillis-Steele).
      A inclusive = v;
#pragma unroll
      for (int offset = 1; offset < 32; offset *= 2) {
        const A other = __shfl_up_sync(kFullWarp, inclusive, offset);
        if (lane >= offset) inclusive += other;
      }
      A before = __shfl_up_sync(kFullWarp, inclusive, 1);
      if (lane == 0) before = 0;
      if (step < dim) y[at] = FromCompute<T>(carry + (exclusive ? before : inclusive));
      carry += __shfl_sync(kFullWarp, inclusive, 31);
    }
  }
}

template <typename T>
class CumSumKernel final : public Kernel {
 public:
  explicit CumSumKernel(const CumSumGeometry& g) : g_(g) {}

  Status Run(const KernelArgs& args) const override {
    const auto [outer, dim, inner] = g_.view;
    if (outer * dim * inner == 0) return Status::Ok();
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    const cudaStream_t stream = args.launch->stream;
    if (inner == 1) {
      CumSumWarpRowsKernel<T><<<BlocksFor(outer, kRowsPerBlock), kRowsPerBlock * 32, 0, stream>>>(
          in, out, outer, dim, g_.exclusive, g_.reverse);
    } else {
      CumSumColumnsKernel<T><<<BlocksFor(outer * inner), kThreadsPerBlock, 0, stream>>>(
          in, out, outer, dim, inner, g_.exclusive, g_.reverse);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  CumSumGeometry g_;
};

}  // namespace

KernelResult CreateCumSum(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(CumSumGeometry g, CumSumGeometry::From(ctx));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(),
                            [&](auto tag) { return MakeKernel<CumSumKernel<decltype(tag)>>(g); });
}

}  // namespace missile::ops::cuda
