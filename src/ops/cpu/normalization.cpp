// CPU BatchNormalization (inference), InstanceNormalization and LayerNormalization, in float32. Each loops
// over independent planes or rows, split across the cores.
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "core/parallel.h"
#include "ops/cpu/cpu_kernels.h"

namespace missile::ops::cpu {
namespace {

constexpr int64_t kMinParallelElements = 1 << 14;

Status RequireFloat32(const NodeContext& ctx) {
  for (size_t i = 0; i < ctx.input_count(); ++i) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32) {
      return Error(ErrorCode::kUnimplemented,
                   "the CPU backend computes {} in float32 only, got {} for input {}", ctx.op_type(),
                   DataTypeName(ctx.input_dtype(i)), i);
    }
  }
  return Status::Ok();
}

// Splits `count` units of `unit_size` elements each across the cores.
void ParallelForUnits(int64_t count, int64_t unit_size, FunctionRef<void(int64_t, int64_t)> body) {
  ParallelFor(count, std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(unit_size, 1)), body);
}

struct Moments {
  float mean;
  float inv_std;  // 1 / sqrt(variance + epsilon)
};

// Two passes in double: the variance suffers no cancellation when the mean is large against the spread.
Moments ComputeMoments(const float* x, int64_t n, float epsilon) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const double variance = squares / static_cast<double>(n);
  return {static_cast<float>(mean), static_cast<float>(1.0 / std::sqrt(variance + epsilon))};
}

// ---- BatchNormalization -----------------------------------------------------------------------------------

// Inference BN is y = x * a[c] + b[c] with a = scale / sqrt(var + eps) and b = B - mean * a. `affine`
// receives a then b, 2 * channels values.
void FoldBatchNorm(const float* scale, const float* bias, const float* mean, const float* var, float epsilon,
                   int64_t channels, float* affine) {
  for (int64_t c = 0; c < channels; ++c) {
    const float a = scale[c] / std::sqrt(var[c] + epsilon);
    affine[c] = a;
    affine[channels + c] = bias[c] - mean[c] * a;
  }
}

class BatchNormKernel final : public Kernel {
 public:
  // `folded` holds the coefficients when the parameters are constants; otherwise they are folded in each Run.
  BatchNormKernel(const Shape& x, float epsilon, std::optional<std::vector<float>> folded)
      : batch_(x[0]),
        channels_(x[1]),
        plane_(DimProduct(x, 2, x.size())),
        epsilon_(epsilon),
        folded_(std::move(folded)) {}

  size_t workspace_bytes() const override {
    return folded_ ? 0 : static_cast<size_t>(2 * channels_) * sizeof(float);
  }

  Status Run(const KernelArgs& args) const override {
    const float* affine = folded_ ? folded_->data() : static_cast<float*>(args.workspace);
    if (!folded_) {
      auto in = [&](int i) { return static_cast<const float*>(args.inputs[i]); };
      FoldBatchNorm(in(1), in(2), in(3), in(4), epsilon_, channels_, static_cast<float*>(args.workspace));
    }
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    ParallelForUnits(batch_ * channels_, plane_, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float a = affine[p % channels_];
        const float b = affine[channels_ + p % channels_];
        const float* src = x + p * plane_;
        float* dst = y + p * plane_;
        for (int64_t i = 0; i < plane_; ++i) dst[i] = src[i] * a + b;
      }
    });
    return Status::Ok();
  }

 private:
  int64_t batch_, channels_, plane_;
  float epsilon_;
  std::optional<std::vector<float>> folded_;
};

Result<std::unique_ptr<Kernel>> CreateBatchNorm(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  const Shape& x = ctx.input_shape(0);
  const float epsilon = ctx.attributes().Float("epsilon", 1e-5f);
  std::optional<std::vector<float>> folded;
  const Tensor* params[4] = {ctx.constant_input(1), ctx.constant_input(2), ctx.constant_input(3),
                             ctx.constant_input(4)};
  if (std::all_of(std::begin(params), std::end(params), [](const Tensor* t) { return t != nullptr; })) {
    folded.emplace(static_cast<size_t>(2 * x[1]));
    FoldBatchNorm(params[0]->data<float>(), params[1]->data<float>(), params[2]->data<float>(),
                  params[3]->data<float>(), epsilon, x[1], folded->data());
  }
  return std::unique_ptr<Kernel>(new BatchNormKernel(x, epsilon, std::move(folded)));
}

// ---- InstanceNormalization --------------------------------------------------------------------------------

// Per (n, c) plane: y = (x - mean) / sqrt(var + eps) * scale[c] + B[c].
class InstanceNormKernel final : public Kernel {
 public:
  InstanceNormKernel(const Shape& x, float epsilon)
      : batch_(x[0]), channels_(x[1]), plane_(DimProduct(x, 2, x.size())), epsilon_(epsilon) {}

  Status Run(const KernelArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    const auto* scale = static_cast<const float*>(args.inputs[1]);
    const auto* bias = static_cast<const float*>(args.inputs[2]);
    auto* y = static_cast<float*>(args.outputs[0]);
    ParallelForUnits(batch_ * channels_, plane_, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* src = x + p * plane_;
        float* dst = y + p * plane_;
        const Moments m = ComputeMoments(src, plane_, epsilon_);
        const float a = m.inv_std * scale[p % channels_];
        const float b = bias[p % channels_] - m.mean * a;
        for (int64_t i = 0; i < plane_; ++i) dst[i] = src[i] * a + b;
      }
    });
    return Status::Ok();
  }

 private:
  int64_t batch_, channels_, plane_;
  float epsilon_;
};

Result<std::unique_ptr<Kernel>> CreateInstanceNorm(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  return std::unique_ptr<Kernel>(
      new InstanceNormKernel(ctx.input_shape(0), ctx.attributes().Float("epsilon", 1e-5f)));
}

// ---- LayerNormalization -----------------------------------------------------------------------------------

// Per row of the dims from `axis` on: y = (x - mean) / sqrt(var + eps) * Scale + B, and optionally the row's
// mean and 1 / sqrt(var + eps) as outputs 1 and 2.
class LayerNormKernel final : public Kernel {
 public:
  struct Plan {
    int64_t rows = 0;
    int64_t size = 0;          // elements per row
    int64_t scale_stride = 1;  // 0 when Scale is one value broadcast over the row
    int64_t bias_stride = 1;   // likewise for B
    bool has_bias = false;
    bool has_mean = false;
    bool has_inv_std = false;
    float epsilon = 1e-5f;
  };
  explicit LayerNormKernel(Plan plan) : plan_(plan) {}

  Status Run(const KernelArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    const auto* scale = static_cast<const float*>(args.inputs[1]);
    // Without B, a single 0 read with stride 0 keeps the inner loop free of branches.
    static constexpr float kNoBias = 0.0f;
    const auto* bias = plan_.has_bias ? static_cast<const float*>(args.inputs[2]) : &kNoBias;
    const int64_t bias_stride = plan_.has_bias ? plan_.bias_stride : 0;
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* mean_out = plan_.has_mean ? static_cast<float*>(args.outputs[1]) : nullptr;
    auto* inv_std_out = plan_.has_inv_std ? static_cast<float*>(args.outputs[2]) : nullptr;
    const int64_t size = plan_.size;
    ParallelForUnits(plan_.rows, size, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const float* src = x + r * size;
        float* dst = y + r * size;
        const Moments m = ComputeMoments(src, size, plan_.epsilon);
        for (int64_t i = 0; i < size; ++i) {
          dst[i] = (src[i] - m.mean) * m.inv_std * scale[i * plan_.scale_stride] + bias[i * bias_stride];
        }
        if (mean_out != nullptr) mean_out[r] = m.mean;
        if (inv_std_out != nullptr) inv_std_out[r] = m.inv_std;
      }
    });
    return Status::Ok();
  }

 private:
  Plan plan_;
};

// Scale and B hold one value per normalized element or a single value; other broadcasts are not supported.
Result<int64_t> ParameterStride(const NodeContext& ctx, size_t i, int64_t size) {
  const int64_t count = NumElements(ctx.input_shape(i));
  if (count == size) return 1;
  if (count == 1) return 0;
  return Error(ErrorCode::kUnimplemented,
               "LayerNormalization input {} of shape {} broadcast over {} elements", i,
               ShapeToString(ctx.input_shape(i)), size);
}

Result<std::unique_ptr<Kernel>> CreateLayerNorm(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  const Shape& x = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx.attributes().Int("axis", -1), x.size()));
  LayerNormKernel::Plan plan;
  plan.rows = DimProduct(x, 0, static_cast<size_t>(axis));
  plan.size = DimProduct(x, static_cast<size_t>(axis), x.size());
  MISSILE_ASSIGN_OR_RETURN(plan.scale_stride, ParameterStride(ctx, 1, plan.size));
  plan.has_bias = ctx.has_input(2);
  if (plan.has_bias) {
    MISSILE_ASSIGN_OR_RETURN(plan.bias_stride, ParameterStride(ctx, 2, plan.size));
  }
  plan.has_mean = ctx.has_output(1);
  plan.has_inv_std = ctx.has_output(2);
  plan.epsilon = ctx.attributes().Float("epsilon", 1e-5f);
  return std::unique_ptr<Kernel>(new LayerNormKernel(plan));
}

const KernelEntry kKernels[] = {
    {"BatchNormalization", CreateBatchNorm},
    {"InstanceNormalization", CreateInstanceNorm},
    {"LayerNormalization", CreateLayerNorm},
};

}  // namespace

std::span<const KernelEntry> NormalizationKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
