// CPU Conv (1-D to 3-D, grouped, dilated, padded), with Missile's fused bias + residual + activation
// epilogue.
//
// Three paths, picked when the kernel is built:
//  * pointwise (1x1, stride 1, no pads): the input of each group already is the GEMM's right operand;
//  * one input channel per group (depthwise, with any channel multiplier): a direct loop per output plane,
//  since
//    im2col would build a matrix with a handful of rows for a GEMM that does almost nothing;
//  * otherwise im2col of each group into the workspace, then one GEMM per group.
// The weight [M, C/group, kernel...] is already the row-major [M, C/group * kernel] matrix the GEMM reads, so
// it is used in place; a non-constant weight costs nothing extra.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "core/parallel.h"
#include "ops/cpu/activation_cpu.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/window_geometry.h"

namespace missile::ops::cpu {
namespace {

// Elements below which a loop is not worth splitting across threads.
constexpr int64_t kMinParallelElements = 1 << 14;
}  // namespace
bool g_kc_serial = false;
namespace {
static void PF(int64_t count, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& body) {
  if (g_kc_serial)
    body(0, count);
  else
    ParallelFor(count, min_chunk, body);
}

// Calls fn(std::integral_constant<Kind, kind>) so that ApplyActivation's switch is resolved at compile time
// and the epilogue loops vectorise.
template <typename Fn>
void VisitActivationKind(Activation::Kind kind, Fn&& fn) {
  using K = Activation::Kind;
  switch (kind) {
    case K::kNone:
      return fn(std::integral_constant<K, K::kNone>{});
    case K::kRelu:
      return fn(std::integral_constant<K, K::kRelu>{});
    case K::kClip:
      return fn(std::integral_constant<K, K::kClip>{});
    case K::kSigmoid:
      return fn(std::integral_constant<K, K::kSigmoid>{});
    case K::kHardSwish:
      return fn(std::integral_constant<K, K::kHardSwish>{});
  }
}

struct ConvPlan {
  Window3d window;
  int64_t batch = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  bool has_bias = false;
  bool has_residual = false;
  Activation activation;
  // Per kernel column kw: the output columns whose tap kw reads the input rather than the padding. The same
  // for every row, so tabulated once instead of per row.
  std::vector<StepRange> width_taps;

  int64_t in_per_group() const { return in_channels / groups; }
  int64_t out_per_group() const { return out_channels / groups; }
  // Rows of a group's im2col matrix, and the GEMM's inner dimension.
  int64_t col_rows() const { return in_per_group() * window.kernel_size(); }
};

// Pointers of one Run, by role.
struct ConvBuffers {
  const float* x;
  const float* w;
  const float* bias;      // nullptr without B
  const float* residual;  // nullptr without Z
  float* y;
};

ConvBuffers BuffersOf(const ConvPlan& plan, const KernelArgs& args) {
  // args.inputs holds one pointer per node input: B and Z may be absent from the array altogether.
  return {static_cast<const float*>(args.inputs[0]), static_cast<const float*>(args.inputs[1]),
          plan.has_bias ? static_cast<const float*>(args.inputs[2]) : nullptr,
          plan.has_residual ? static_cast<const float*>(args.inputs[3]) : nullptr,
          static_cast<float*>(args.outputs[0])};
}

// y[c, :] = act(y[c, :] + bias[c] + residual[c, :]) for the output channels [begin, end) of one image; `y`
// and `residual` point at that image.
void EpilogueChannels(const ConvPlan& plan, const float* bias, const float* residual, float* y, int64_t begin,
                      int64_t end) {
  const int64_t size = plan.window.output_size();
  VisitActivationKind(plan.activation.kind, [&](auto kind) {
    const Activation act{kind(), plan.activation.min, plan.activation.max};
    for (int64_t c = begin; c < end; ++c) {
      float* row = y + c * size;
      const float b = bias != nullptr ? bias[c] : 0.0f;
      if (residual != nullptr) {
        const float* z = residual + c * size;
        for (int64_t i = 0; i < size; ++i) row[i] = ApplyActivation(act, row[i] + b + z[i]);
      } else {
        for (int64_t i = 0; i < size; ++i) row[i] = ApplyActivation(act, row[i] + b);
      }
    }
  });
}

bool NeedsEpilogue(const ConvPlan& plan) {
  return plan.has_bias || plan.has_residual || !plan.activation.none();
}

// ---- im2col + GEMM
// -------------------------------------------------------------------------------------------------

// One row of im2col along the width: dst[ow] = src[ow * stride + offset] for ow inside `inside`, 0 elsewhere
// (the padding).
void GatherRow(const float* src, const StepRange& inside, int64_t offset, int64_t stride, float* dst,
               int64_t out_width) {
  std::fill(dst, dst + inside.begin, 0.0f);
  if (stride == 1) {
    std::memcpy(dst + inside.begin, src + inside.begin + offset,
                static_cast<size_t>(inside.end - inside.begin) * sizeof(float));
  } else {
    for (int64_t o = inside.begin; o < inside.end; ++o) dst[o] = src[o * stride + offset];
  }
  std::fill(dst + inside.end, dst + out_width, 0.0f);
}

// Writes a group's column matrix: row (c, kd, kh, kw) holds, for every output position, the input pixel that
// kernel tap sees there (0 in the padding). `x` points at the group's first input channel.
void Im2Col(const ConvPlan& plan, const float* x, float* cols) {
  const Window3d& w = plan.window;
  const int64_t out_size = w.output_size();
  PF(plan.col_rows(), std::max<int64_t>(1, kMinParallelElements / out_size), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t kw = r % w.kernel[2];
      const int64_t kh = (r / w.kernel[2]) % w.kernel[1];
      const int64_t kd = (r / (w.kernel[2] * w.kernel[1])) % w.kernel[0];
      const float* plane = x + (r / w.kernel_size()) * w.input_size();
      float* dst = cols + r * out_size;
      for (int64_t od = 0; od < w.output[0]; ++od) {
        const int64_t id = od * w.strides[0] - w.pad_begin[0] + kd * w.dilations[0];
        for (int64_t oh = 0; oh < w.output[1]; ++oh, dst += w.output[2]) {
          const int64_t ih = oh * w.strides[1] - w.pad_begin[1] + kh * w.dilations[1];
          if (id < 0 || id >= w.input[0] || ih < 0 || ih >= w.input[1]) {
            std::fill(dst, dst + w.output[2], 0.0f);
            continue;
          }
          GatherRow(plane + (id * w.input[1] + ih) * w.input[2], plan.width_taps[kw],
                    kw * w.dilations[2] - w.pad_begin[2], w.strides[2], dst, w.output[2]);
        }
      }
    }
  });
}

// Per image and group: Y_g [M/g, out] = W_g [M/g, C/g * k] x cols_g [C/g * k, out].
class GemmConvKernel final : public Kernel {
 public:
  GemmConvKernel(ConvPlan plan, bool pointwise) : plan_(std::move(plan)), pointwise_(pointwise) {}

  size_t workspace_bytes() const override {
    return pointwise_ ? 0
                      : static_cast<size_t>(plan_.col_rows() * plan_.window.output_size()) * sizeof(float);
  }

  Status Run(const KernelArgs& args) const override {
    const ConvBuffers b = BuffersOf(plan_, args);
    const int64_t in_size = plan_.window.input_size();
    const int64_t out_size = plan_.window.output_size();
    const int64_t k = plan_.col_rows();
    const int64_t m = plan_.out_per_group();
    float* cols = static_cast<float*>(args.workspace);
    for (int64_t n = 0; n < plan_.batch; ++n) {
      float* y = b.y + n * plan_.out_channels * out_size;
      for (int64_t g = 0; g < plan_.groups; ++g) {
        const float* x = b.x + (n * plan_.in_channels + g * plan_.in_per_group()) * in_size;
        if (!pointwise_) Im2Col(plan_, x, cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                    static_cast<int>(out_size), static_cast<int>(k), 1.0f, b.w + g * m * k,
                    static_cast<int>(k), pointwise_ ? x : cols, static_cast<int>(out_size), 0.0f,
                    y + g * m * out_size, static_cast<int>(out_size));
      }
      if (NeedsEpilogue(plan_)) {
        const float* residual =
            b.residual != nullptr ? b.residual + n * plan_.out_channels * out_size : nullptr;
        PF(plan_.out_channels, std::max<int64_t>(1, kMinParallelElements / out_size),
           [&](int64_t begin, int64_t end) { EpilogueChannels(plan_, b.bias, residual, y, begin, end); });
      }
    }
    return Status::Ok();
  }

 private:
  ConvPlan plan_;
  bool pointwise_;
};

// ---- One input channel per group (depthwise)
// -----------------------------------------------------------------------

// One output plane: y = sum over taps of weight[tap] * (x shifted by that tap), accumulated row by row so the
// innermost loop runs along contiguous output pixels.
void DirectConvPlane(const ConvPlan& plan, const float* x, const float* weight, float* y) {
  const Window3d& w = plan.window;
  for (int64_t od = 0; od < w.output[0]; ++od) {
    for (int64_t oh = 0; oh < w.output[1]; ++oh) {
      float* dst = y + (od * w.output[1] + oh) * w.output[2];
      std::fill(dst, dst + w.output[2], 0.0f);
      for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
        const int64_t id = od * w.strides[0] - w.pad_begin[0] + kd * w.dilations[0];
        if (id < 0 || id >= w.input[0]) continue;
        for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
          const int64_t ih = oh * w.strides[1] - w.pad_begin[1] + kh * w.dilations[1];
          if (ih < 0 || ih >= w.input[1]) continue;
          const float* src = x + (id * w.input[1] + ih) * w.input[2];
          const float* taps = weight + (kd * w.kernel[1] + kh) * w.kernel[2];
          for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
            const int64_t offset = kw * w.dilations[2] - w.pad_begin[2];
            const StepRange& inside = plan.width_taps[kw];
            const float tap = taps[kw];
            if (w.strides[2] == 1) {
              for (int64_t o = inside.begin; o < inside.end; ++o) dst[o] += tap * src[o + offset];
            } else {
              for (int64_t o = inside.begin; o < inside.end; ++o)
                dst[o] += tap * src[o * w.strides[2] + offset];
            }
          }
        }
      }
    }
  }
}

class DepthwiseConvKernel final : public Kernel {
 public:
  explicit DepthwiseConvKernel(ConvPlan plan) : plan_(std::move(plan)) {}

  Status Run(const KernelArgs& args) const override {
    const ConvBuffers b = BuffersOf(plan_, args);
    const Window3d& w = plan_.window;
    const int64_t multiplier = plan_.out_per_group();
    const int64_t planes = plan_.batch * plan_.out_channels;
    const int64_t plane_work = w.output_size() * w.kernel_size();
    ParallelFor(
        planes, std::max<int64_t>(1, kMinParallelElements / plane_work), [&](int64_t begin, int64_t end) {
          for (int64_t p = begin; p < end; ++p) {
            const int64_t n = p / plan_.out_channels;
            const int64_t m = p % plan_.out_channels;
            const float* in = b.x + (n * plan_.in_channels + m / multiplier) * w.input_size();
            float* out = b.y + n * plan_.out_channels * w.output_size();
            DirectConvPlane(plan_, in, b.w + m * w.kernel_size(), out + m * w.output_size());
            // Finish the plane while it is still in cache.
            const float* z =
                b.residual != nullptr ? b.residual + n * plan_.out_channels * w.output_size() : nullptr;
            EpilogueChannels(plan_, b.bias, z, out, m, m + 1);
          }
        });
    return Status::Ok();
  }

 private:
  ConvPlan plan_;
};

Result<std::unique_ptr<Kernel>> CreateConv(const NodeContext& ctx) {
  for (size_t i = 0; i < ctx.input_count(); ++i) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32) {
      return Error(ErrorCode::kUnimplemented,
                   "the CPU backend computes Conv in float32 only, got {} for input {}",
                   DataTypeName(ctx.input_dtype(i)), i);
    }
  }
  const Shape& x = ctx.input_shape(0);
  const Shape& w = ctx.input_shape(1);
  MISSILE_ASSIGN_OR_RETURN(
      WindowGeometry geometry,
      ParseWindowGeometry(ctx.attributes(), std::span(x).subspan(2), std::span(w).subspan(2)));
  ConvPlan plan;
  MISSILE_ASSIGN_OR_RETURN(plan.window, ToWindow3d(geometry));
  plan.batch = x[0];
  plan.in_channels = x[1];
  plan.out_channels = w[0];
  plan.groups = ctx.attributes().Int("group", 1);
  plan.has_bias = ctx.has_input(2);
  plan.has_residual = ctx.has_input(3);
  plan.activation = ActivationFromAttributes(ctx.attributes());
  const Window3d& win = plan.window;
  for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
    plan.width_taps.push_back(
        InsideSteps(kw * win.dilations[2] - win.pad_begin[2], win.strides[2], win.input[2], win.output[2]));
  }
  if (plan.in_per_group() == 1) return std::unique_ptr<Kernel>(new DepthwiseConvKernel(std::move(plan)));
  return std::unique_ptr<Kernel>(new GemmConvKernel(std::move(plan), geometry.IsPointwise()));
}

const KernelEntry kKernels[] = {
    {"Conv", CreateConv},
};

}  // namespace

std::span<const KernelEntry> ConvKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
