// Inference BatchNormalization, float32 and float16 (computed in float32), as the CPU kernel computes it:
// per channel c, y = x * a + b with a = scale[c] / sqrt(var[c] + epsilon) and b = B[c] - mean[c] * a.
// Usually folded into the preceding Conv by a pass; this standalone kernel recomputes a and b per element
// from the four parameter vectors (read through the cache), so it needs no workspace and works whether the
// parameters are constants or computed.
#include <array>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/normalization_family.h"
#include "ops/cuda/normalization_params.cuh"

namespace missile::ops::cuda {
namespace {

struct BatchNormParams {
  FloatParams scale, bias, mean, var;
};

// X is [N, C, plane...]: element i is in channel (i / plane) % channels.
template <typename T>
__global__ void BatchNormKernel(const T* x, T* y, BatchNormParams p, int64_t total, int64_t channels,
                                int64_t plane, float epsilon) {
  MISSILE_GRID_STRIDE_LOOP(i, total) {
    const int64_t c = (i / plane) % channels;
    const float a = p.scale[c] / sqrtf(p.var[c] + epsilon);
    const float b = p.bias[c] - p.mean[c] * a;
    y[i] = FromCompute<T>(Load(x, i) * a + b);
  }
}

template <typename T>
class BatchNormKernelImpl final : public Kernel {
 public:
  BatchNormKernelImpl(const Shape& x, float epsilon, std::array<bool, 4> params_half)
      : total_(NumElements(x)),
        channels_(x[1]),
        plane_(DimProduct(x, 2, x.size())),
        epsilon_(epsilon),
        params_half_(params_half) {}

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    const BatchNormParams p{{args.inputs[1], params_half_[0]},
                            {args.inputs[2], params_half_[1]},
                            {args.inputs[3], params_half_[2]},
                            {args.inputs[4], params_half_[3]}};
    BatchNormKernel<T><<<BlocksFor(total_), kThreadsPerBlock, 0, args.launch->stream>>>(
        static_cast<const T*>(args.inputs[0]), static_cast<T*>(args.outputs[0]), p, total_, channels_, plane_,
        epsilon_);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  int64_t total_, channels_, plane_;
  float epsilon_;
  std::array<bool, 4> params_half_;  // scale, B, input_mean, input_var
};

}  // namespace

KernelResult CreateBatchNorm(const NodeContext& ctx, const BuildContext&) {
  const Shape& x = ctx.input_shape(0);  // [N, C, ...], rank >= 2 (the schema)
  std::array<bool, 4> params_half{};
  for (size_t i = 1; i <= 4; ++i) {
    MISSILE_RETURN_IF_ERROR(RequireFloatParams(ctx, i));
    params_half[i - 1] = ctx.input_dtype(i) == DataType::kFloat16;
  }
  const float epsilon = ctx.attributes().Float("epsilon", 1e-5f);
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) {
    return MakeKernel<BatchNormKernelImpl<decltype(tag)>>(x, epsilon, params_half);
  });
}

}  // namespace missile::ops::cuda
