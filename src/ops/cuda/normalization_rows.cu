// LayerNormalization and InstanceNormalization, float32 and float16 (computed in float32): both normalize
// contiguous rows, y = (x - mean) / sqrt(var + epsilon) * scale + bias, with the mean first and then the
// variance as the mean of squared deviations (two passes, no cancellation), as the CPU kernel does.
// LayerNormalization's rows are the dims from `axis` on, with scale and bias per element (or one broadcast
// value); InstanceNormalization's are the (n, c) planes, with scale and bias per channel.
//
// One block per row. Rows up to 4 x 1024 elements (BERT / GPT-2 / ViT hidden size 768) stay in registers
// between the passes, so x is read once; longer rows are read three times.
#include <algorithm>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/normalization_family.h"
#include "ops/cuda/normalization_params.cuh"
#include "ops/cuda/reduce_common.cuh"

namespace missile::ops::cuda {
namespace {

constexpr int kPerThread = 4;  // row elements a thread keeps in registers
constexpr int kMaxThreads = 1024;

struct RowNormArgs {
  int64_t rows = 0;
  int64_t size = 0;  // elements per row
  float epsilon = 1e-5f;
  FloatParams scale, bias;  // bias.data == nullptr: no bias
  // Parameter index of element c of row r: (channels > 0 ? r % channels : 0) + c * stride.
  int64_t channels = 0;
  int64_t scale_stride = 0;
  int64_t bias_stride = 0;
  void* mean = nullptr;  // optional per-row outputs (LayerNormalization's Mean and InvStdDev)
  void* inv_std = nullptr;
  bool stats_half = false;
};

__device__ __forceinline__ void StoreStat(void* stats, bool half, int64_t row, float v) {
  if (half) {
    static_cast<__half*>(stats)[row] = __float2half_rn(v);
  } else {
    static_cast<float*>(stats)[row] = v;
  }
}

// One block per row (blockDim.x a multiple of 32). kCached: size <= kPerThread * blockDim.x.
template <typename T, bool kCached>
__global__ void NormalizeRowsKernel(const T* x, T* y, RowNormArgs a) {
  const float size = static_cast<float>(a.size);
  for (int64_t row = blockIdx.x; row < a.rows; row += gridDim.x) {  // uniform across the block
    const T* src = x + row * a.size;
    T* dst = y + row * a.size;
    float v[kCached ? kPerThread : 1];
    float sum = 0.0f;
    if constexpr (kCached) {
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t c = threadIdx.x + static_cast<int64_t>(i) * blockDim.x;
        v[i] = c < a.size ? Load(src, c) : 0.0f;
        sum += v[i];
      }
    } else {
      for (int64_t c = threadIdx.x; c < a.size; c += blockDim.x) sum += Load(src, c);
    }
    const float mean = BlockSum(sum) / size;
    float squares = 0.0f;
    if constexpr (kCached) {
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
        const float d = v[i] - mean;
        if (threadIdx.x + static_cast<int64_t>(i) * blockDim.x < a.size) squares += d * d;
      }
    } else {
      for (int64_t c = threadIdx.x; c < a.size; c += blockDim.x) {
        const float d = Load(src, c) - mean;
        squares += d * d;
      }
    }
    const float inv_std = 1.0f / sqrtf(BlockSum(squares) / size + a.epsilon);
    const int64_t param_row = a.channels > 0 ? row % a.channels : 0;
    const auto normalize = [&](int64_t c, float value) {
      const float b = a.bias.data != nullptr ? a.bias[param_row + c * a.bias_stride] : 0.0f;
      dst[c] = FromCompute<T>((value - mean) * inv_std * a.scale[param_row + c * a.scale_stride] + b);
    };
    if constexpr (kCached) {
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t c = threadIdx.x + static_cast<int64_t>(i) * blockDim.x;
        if (c < a.size) normalize(c, v[i]);
      }
    } else {
      for (int64_t c = threadIdx.x; c < a.size; c += blockDim.x) normalize(c, Load(src, c));
    }
    if (threadIdx.x == 0) {
      if (a.mean != nullptr) StoreStat(a.mean, a.stats_half, row, mean);
      if (a.inv_std != nullptr) StoreStat(a.inv_std, a.stats_half, row, inv_std);
    }
  }
}

// Where the kernel finds its parameters at run time: input indices (or -1) and output indices (or -1).
struct RowNormBindings {
  int bias_input = -1;
  int mean_output = -1;
  int inv_std_output = -1;
  bool scale_half = false;
  bool bias_half = false;
};

template <typename T>
class RowNormKernel final : public Kernel {
 public:
  RowNormKernel(const RowNormArgs& args, const RowNormBindings& bindings)
      : args_(args),
        bindings_(bindings),
        threads_(ThreadsToCover(args.size, kPerThread, kMaxThreads)),
        cached_(args.size <= static_cast<int64_t>(kPerThread) * threads_) {}

  Status Run(const KernelArgs& args) const override {
    if (args_.rows == 0) return Status::Ok();
    RowNormArgs a = args_;
    a.scale = {args.inputs[1], bindings_.scale_half};
    if (bindings_.bias_input >= 0) a.bias = {args.inputs[bindings_.bias_input], bindings_.bias_half};
    if (bindings_.mean_output >= 0) a.mean = args.outputs[bindings_.mean_output];
    if (bindings_.inv_std_output >= 0) a.inv_std = args.outputs[bindings_.inv_std_output];
    const T* x = static_cast<const T*>(args.inputs[0]);
    T* y = static_cast<T*>(args.outputs[0]);
    const unsigned blocks = BlocksFor(args_.rows, 1);
    if (cached_) {
      NormalizeRowsKernel<T, true><<<blocks, threads_, 0, args.launch->stream>>>(x, y, a);
    } else {
      NormalizeRowsKernel<T, false><<<blocks, threads_, 0, args.launch->stream>>>(x, y, a);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  RowNormArgs args_;
  RowNormBindings bindings_;
  int threads_;
  bool cached_;
};

KernelResult MakeRowNorm(const NodeContext& ctx, const RowNormArgs& args, const RowNormBindings& bindings) {
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(),
                       [&](auto tag) { return MakeKernel<RowNormKernel<decltype(tag)>>(args, bindings); });
}

// LayerNormalization's Scale and B hold one value per normalized element or a single value (the CPU kernel's
// ParameterStride); other broadcasts are not supported.
Result<int64_t> ParameterStride(const NodeContext& ctx, size_t i, int64_t size) {
  const int64_t count = NumElements(ctx.input_shape(i));
  if (count == size) return 1;
  if (count == 1) return 0;
  return Error(ErrorCode::kUnimplemented,
               "LayerNormalization input {} of shape {} broadcast over {} elements", i,
               ShapeToString(ctx.input_shape(i)), size);
}

Status RequireFloatStats(const NodeContext& ctx, size_t i) {
  const DataType dtype = ctx.output(i).dtype;
  if (dtype == DataType::kFloat32 || dtype == DataType::kFloat16) return Status::Ok();
  return Error(ErrorCode::kUnimplemented,
               "LayerNormalization output {} on {} is not supported by the CUDA backend", i,
               DataTypeName(dtype));
}

}  // namespace

KernelResult CreateLayerNorm(const NodeContext& ctx, const BuildContext&) {
  const Shape& x = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx.attributes().Int("axis", -1), x.size()));
  RowNormArgs args;
  RowNormBindings bindings;
  args.rows = DimProduct(x, 0, static_cast<size_t>(axis));
  args.size = DimProduct(x, static_cast<size_t>(axis), x.size());
  args.epsilon = ctx.attributes().Float("epsilon", 1e-5f);
  MISSILE_RETURN_IF_ERROR(RequireFloatParams(ctx, 1));
  MISSILE_ASSIGN_OR_RETURN(args.scale_stride, ParameterStride(ctx, 1, args.size));
  bindings.scale_half = ctx.input_dtype(1) == DataType::kFloat16;
  if (ctx.has_input(2)) {
    MISSILE_RETURN_IF_ERROR(RequireFloatParams(ctx, 2));
    MISSILE_ASSIGN_OR_RETURN(args.bias_stride, ParameterStride(ctx, 2, args.size));
    bindings.bias_input = 2;
    bindings.bias_half = ctx.input_dtype(2) == DataType::kFloat16;
  }
  for (int i : {1, 2}) {
    if (!ctx.has_output(static_cast<size_t>(i))) continue;
    MISSILE_RETURN_IF_ERROR(RequireFloatStats(ctx, static_cast<size_t>(i)));
    // Both statistics share one dtype flag; the schema gives them the same dtype.
    args.stats_half = ctx.output(static_cast<size_t>(i)).dtype == DataType::kFloat16;
    (i == 1 ? bindings.mean_output : bindings.inv_std_output) = i;
  }
  if (bindings.mean_output >= 0 && bindings.inv_std_output >= 0 &&
      ctx.output(1).dtype != ctx.output(2).dtype) {
    return Error(ErrorCode::kUnimplemented, "LayerNormalization's Mean and InvStdDev of different dtypes");
  }
  return MakeRowNorm(ctx, args, bindings);
}

KernelResult CreateInstanceNorm(const NodeContext& ctx, const BuildContext&) {
  const Shape& x = ctx.input_shape(0);  // [N, C, spatial...], rank >= 3 (the schema)
  RowNormArgs args;
  RowNormBindings bindings;
  args.rows = x[0] * x[1];
  args.size = DimProduct(x, 2, x.size());
  args.epsilon = ctx.attributes().Float("epsilon", 1e-5f);
  args.channels = x[1];
  MISSILE_RETURN_IF_ERROR(RequireFloatParams(ctx, 1));
  MISSILE_RETURN_IF_ERROR(RequireFloatParams(ctx, 2));
  bindings.scale_half = ctx.input_dtype(1) == DataType::kFloat16;
  bindings.bias_input = 2;
  bindings.bias_half = ctx.input_dtype(2) == DataType::kFloat16;
  return MakeRowNorm(ctx, args, bindings);
}

}  // namespace missile::ops::cuda
