// CPU Conv (1-D to 3-D, grouped, dilated, padded), with Missile's fused bias + residual + activation
// epilogue.
//
// Three paths, picked when the kernel is built:
//  * pointwise (1x1, stride 1, no pads): each group's input already is the GEMM's right operand;
//  * one input channel per group (depthwise, any channel multiplier): a direct loop per output plane, since
//    im2col would build a matrix of a handful of rows for a GEMM with almost nothing to do;
//  * otherwise im2col of each group into the workspace, then one GEMM per group.
// The weight [M, C/group, kernel...] already is the row-major [M, C/group * kernel] matrix the GEMM reads, so
// it is used in place, and a weight computed at run time costs nothing extra.
#include <cblas.h>

#include <algorithm>
#include <cstring>
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

// ---- im2col + GEMM ----------------------------------------------------------------------------------------

// One row of im2col along the width: dst[ow] = src[ow * stride + offset] for ow in `inside`, 0 elsewhere.
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

// Row r = (c, kd, kh, kw) of a group's column matrix: for every output position, the input pixel that kernel
// tap sees there (0 in the padding). `x` points at the group's first input channel.
void Im2ColRow(const ConvPlan& plan, const float* x, int64_t r, float* dst) {
  const Window3d& w = plan.window;
  const int64_t kw = r % w.kernel[2];
  const int64_t kh = (r / w.kernel[2]) % w.kernel[1];
  const int64_t kd = (r / (w.kernel[2] * w.kernel[1])) % w.kernel[0];
  const float* plane = x + (r / w.kernel_size()) * w.input_size();
  for (int64_t od = 0; od < w.output[0]; ++od) {
    const int64_t id = od * w.strides[0] - w.pad_begin[0] + kd * w.dilations[0];
    for (int64_t oh = 0; oh < w.output[1]; ++oh, dst += w.output[2]) {
      const int64_t ih = oh * w.strides[1] - w.pad_begin[1] + kh * w.dilations[1];
      if (id < 0 || id >= w.input[0] || ih < 0 || ih >= w.input[1]) {
        std::fill(dst, dst + w.output[2], 0.0f);
      } else {
        GatherRow(plane + (id * w.input[1] + ih) * w.input[2], plan.width_taps[kw],
                  kw * w.dilations[2] - w.pad_begin[2], w.strides[2], dst, w.output[2]);
      }
    }
  }
}

void Im2Col(const ConvPlan& plan, const float* x, float* cols) {
  const int64_t out_size = plan.window.output_size();
  ParallelFor(plan.col_rows(), std::max<int64_t>(1, kMinParallelElements / out_size),
              [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) Im2ColRow(plan, x, r, cols + r * out_size);
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
        ParallelFor(
            plan_.out_channels, std::max<int64_t>(1, kMinParallelElements / out_size),
            [&](int64_t begin, int64_t end) { EpilogueChannels(plan_, b.bias, residual, y, begin, end); });
      }
    }
    return Status::Ok();
  }

 private:
  ConvPlan plan_;
  bool pointwise_;
};

// ---- One input channel per group (depthwise) --------------------------------------------------------------

// dst (one output row) += the contribution of one input row `src` through one row of kernel taps, swept one
// tap at a time along the contiguous outputs where that tap reads the input.
void AccumulateRow(const ConvPlan& plan, const float* src, const float* taps, float* dst) {
  const Window3d& w = plan.window;
  for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
    // tap_src[o * stride] is the input under output o.
    const float* tap_src = src + kw * w.dilations[2] - w.pad_begin[2];
    const StepRange& inside = plan.width_taps[kw];
    const float tap = taps[kw];
    if (w.strides[2] == 1) {
      for (int64_t o = inside.begin; o < inside.end; ++o) dst[o] += tap * tap_src[o];
    } else {
      for (int64_t o = inside.begin; o < inside.end; ++o) dst[o] += tap * tap_src[o * w.strides[2]];
    }
  }
}

// One output plane of a single-input-channel convolution, built row by row: each valid (kd, kh) input row
// adds its taps to the output row.
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
          AccumulateRow(plan, x + (id * w.input[1] + ih) * w.input[2],
                        weight + (kd * w.kernel[1] + kh) * w.kernel[2], dst);
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
    const int64_t plane_work = w.output_size() * w.kernel_size();
    ParallelFor(plan_.batch * plan_.out_channels, std::max<int64_t>(1, kMinParallelElements / plane_work),
                [&](int64_t begin, int64_t end) {
                  for (int64_t p = begin; p < end; ++p)
                    ConvolvePlane(b, p / plan_.out_channels, p % plan_.out_channels);
                });
    return Status::Ok();
  }

 private:
  // Output channel m of image n, then its epilogue while the plane is still in cache.
  void ConvolvePlane(const ConvBuffers& b, int64_t n, int64_t m) const {
    const Window3d& w = plan_.window;
    const int64_t in_channel = m / plan_.out_per_group();
    float* y = b.y + n * plan_.out_channels * w.output_size();
    DirectConvPlane(plan_, b.x + (n * plan_.in_channels + in_channel) * w.input_size(),
                    b.w + m * w.kernel_size(), y + m * w.output_size());
    const float* residual =
        b.residual != nullptr ? b.residual + n * plan_.out_channels * w.output_size() : nullptr;
    EpilogueChannels(plan_, b.bias, residual, y, m, m + 1);
  }

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
  plan.width_taps = OutputsInsidePerTap(plan.window, 2);
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
