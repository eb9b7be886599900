// Softmax and LogSoftmax along one axis (SoftmaxGeometry: the input seen as [outer, dim, inner]), float32 and
// float16, computed in float32 exactly as the CPU kernel does: the row's maximum (NaN skipped), then
// e = exp(x - max) and their sum, then e * (1 / sum), or x - (max + log(sum)).
//
// The transformer case, the last axis with rows of 128-1024 (attention scores), is one warp per row holding
// the row in registers: one read, one write. Longer rows take a block per row, other axes a thread per
// (outer, inner) column walking the axis with coalesced neighbours.
#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/reduce_common.cuh"
#include "ops/cuda/reduce_family.h"
#include "ops/reduce_geometry.h"

namespace missile::ops::cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // warps per block of the warp-per-row kernel
constexpr int kBlockRowThreads = 512;

// The result of one element, given the row's max and sum of exponentials (the CPU's Row and Lanes).
template <bool kLog>
struct SoftmaxFinish {
  float shift_or_scale;
  __device__ SoftmaxFinish(float max, float sum) : shift_or_scale(kLog ? max + logf(sum) : 1.0f / sum) {}
  // x the input, e = exp(x - max).
  __device__ float operator()(float x, float e) const {
    return kLog ? x - shift_or_scale : e * shift_or_scale;
  }
};

// Rows of dim <= 32 * kPerLane, one warp per row, the row in registers.
template <typename T, bool kLog, int kPerLane>
__global__ void SoftmaxWarpRowsKernel(const T* in, T* out, int64_t rows, int dim) {
  const int lane = threadIdx.x % 32;
  const int64_t warp_stride = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; row < rows;
       row += warp_stride) {
    const T* x = in + row * dim;
    T* y = out + row * dim;
    float v[kPerLane];
    float max = LowestValue<float>();
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int c = lane + i * 32;
      v[i] = c < dim ? Load(x, c) : LowestValue<float>();
      max = MaxOp<float>::Step(max, v[i]);
    }
    max = WarpAllReduce<MaxOp<float>>(max);
    float e[kPerLane];
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      e[i] = lane + i * 32 < dim ? expf(v[i] - max) : 0.0f;
      sum += e[i];
    }
    const SoftmaxFinish<kLog> finish(max, WarpSum(sum));
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int c = lane + i * 32;
      if (c < dim) y[c] = FromCompute<T>(finish(v[i], e[i]));
    }
  }
}

// Long rows (a language model's vocabulary): a block per row, three passes over the row.
template <typename T, bool kLog>
__global__ void SoftmaxBlockRowsKernel(const T* in, T* out, int64_t rows, int64_t dim) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {  // uniform across the block
    const T* x = in + row * dim;
    T* y = out + row * dim;
    float max = LowestValue<float>();
    for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) max = MaxOp<float>::Step(max, Load(x, c));
    max = BlockAllReduce<MaxOp<float>>(max);
    float sum = 0.0f;
    for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) sum += expf(Load(x, c) - max);
    const SoftmaxFinish<kLog> finish(max, BlockSum(sum));
    for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) {
      const float v = Load(x, c);
      y[c] = FromCompute<T>(finish(v, expf(v - max)));
    }
  }
}

// Another axis: a thread per (outer, inner) column, neighbouring threads on neighbouring columns.
template <typename T, bool kLog>
__global__ void SoftmaxColumnsKernel(const T* in, T* out, int64_t outer, int64_t dim, int64_t inner) {
  MISSILE_GRID_STRIDE_LOOP(column, outer * inner) {
    const int64_t base = (column / inner) * dim * inner + column % inner;
    const T* x = in + base;
    T* y = out + base;
    float max = LowestValue<float>();
    for (int64_t i = 0; i < dim; ++i) max = MaxOp<float>::Step(max, Load(x, i * inner));
    float sum = 0.0f;
    for (int64_t i = 0; i < dim; ++i) sum += expf(Load(x, i * inner) - max);
    const SoftmaxFinish<kLog> finish(max, sum);
    for (int64_t i = 0; i < dim; ++i) {
      const float v = Load(x, i * inner);
      y[i * inner] = FromCompute<T>(finish(v, expf(v - max)));
    }
  }
}

template <typename T, bool kLog>
class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(AxisView view) : view_(view) {}

  Status Run(const KernelArgs& args) const override {
    const auto [outer, dim, inner] = view_;
    if (outer * dim * inner == 0) return Status::Ok();
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    const cudaStream_t stream = args.launch->stream;
    if (inner != 1) {
      SoftmaxColumnsKernel<T, kLog>
          <<<BlocksFor(outer * inner), kThreadsPerBlock, 0, stream>>>(in, out, outer, dim, inner);
    } else if (dim <= 32 * 8) {  // BERT, GPT-2 (128) and ViT (197) attention
      SoftmaxWarpRowsKernel<T, kLog, 8><<<BlocksFor(outer, kRowsPerBlock), kRowsPerBlock * 32, 0, stream>>>(
          in, out, outer, static_cast<int>(dim));
    } else if (dim <= 32 * 32) {
      SoftmaxWarpRowsKernel<T, kLog, 32><<<BlocksFor(outer, kRowsPerBlock), kRowsPerBlock * 32, 0, stream>>>(
          in, out, outer, static_cast<int>(dim));
    } else {
      SoftmaxBlockRowsKernel<T, kLog>
          <<<BlocksFor(outer, 1), kBlockRowThreads, 0, stream>>>(in, out, outer, dim);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  AxisView view_;
};

template <bool kLog>
KernelResult CreateSoftmaxKernel(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(SoftmaxGeometry g, SoftmaxGeometry::From(ctx));
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(),
                       [&](auto tag) { return MakeKernel<SoftmaxKernel<decltype(tag), kLog>>(g.view); });
}

}  // namespace

KernelResult CreateSoftmax(const NodeContext& ctx, const BuildContext&) {
  return CreateSoftmaxKernel<false>(ctx);
}
KernelResult CreateLogSoftmax(const NodeContext& ctx, const BuildContext&) {
  return CreateSoftmaxKernel<true>(ctx);
}

}  // namespace missile::ops::cuda
