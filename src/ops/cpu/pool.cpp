// CPU pooling in float32: windowed MaxPool / AveragePool over 1-D to 3-D inputs, and the global pools. Each
// (n, c) plane is independent; planes are split across the cores.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/window_geometry.h"

namespace missile::ops::cpu {
namespace {

constexpr int64_t kMinParallelElements = 1 << 14;

Status RequireFloat32(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "the CPU backend computes {} in float32 only, got {}",
                 ctx.op_type(), DataTypeName(ctx.input_dtype(0)));
  }
  return Status::Ok();
}

void ParallelForPlanes(int64_t planes, int64_t work_per_plane, FunctionRef<void(int64_t, int64_t)> body) {
  ParallelFor(planes, std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(work_per_plane, 1)),
              body);
}

// Running maximum in which a NaN wins, as in PyTorch, without a data-dependent branch: a compare-and-branch
// per element mispredicts constantly on real data.
struct MaxAccumulator {
  float max = -std::numeric_limits<float>::infinity();
  bool nan = false;
  void Add(float v) {
    max = std::max(max, v);
    nan |= std::isnan(v);
  }
  float value() const { return nan ? std::numeric_limits<float>::quiet_NaN() : max; }
};

// The same rule on whole rows: dst[o] = max(dst[o], src[o * stride]) for o in `outputs`. Spelled so that the
// compiler vectorises it (a select, no short-circuit).
void MaxRow(const float* src, int64_t stride, const StepRange& outputs, float* dst) {
  for (int64_t o = outputs.begin; o < outputs.end; ++o) {
    const float v = src[o * stride];
    const float d = dst[o];
    dst[o] = std::isnan(v) ? v : std::max(d, v);  // std::max keeps d when d is NaN
  }
}

void SumRow(const float* src, int64_t stride, const StepRange& outputs, float* dst) {
  for (int64_t o = outputs.begin; o < outputs.end; ++o) dst[o] += src[o * stride];
}

// MaxPool (kMax) or AveragePool. Each output row is built by sweeping it once per kernel tap over the
// matching input row, so the inner loops run along contiguous outputs instead of over a handful of taps per
// output.
template <bool kMax>
class WindowPoolKernel final : public Kernel {
 public:
  WindowPoolKernel(const Window3d& window, int64_t planes, bool count_include_pad)
      : w_(window), planes_(planes), width_outputs_(OutputsInsidePerTap(window, 2)) {
    for (size_t axis = 0; axis < 3; ++axis) {
      taps_[axis] = TapsInsidePerOutput(window, axis);
      if (count_include_pad) {
        divisor_counts_[axis] = TapsInsidePaddingPerOutput(window, axis);
      } else {
        for (const StepRange& taps : taps_[axis]) divisor_counts_[axis].push_back(taps.size());
      }
    }
  }

  Status Run(const KernelArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    ParallelForPlanes(planes_, w_.output_size() * w_.kernel_size(), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) PoolPlane(x + p * w_.input_size(), y + p * w_.output_size());
    });
    return Status::Ok();
  }

 private:
  void PoolPlane(const float* x, float* y) const {
    for (int64_t od = 0; od < w_.output[0]; ++od) {
      for (int64_t oh = 0; oh < w_.output[1]; ++oh) {
        float* dst = y + (od * w_.output[1] + oh) * w_.output[2];
        std::fill(dst, dst + w_.output[2], kMax ? -std::numeric_limits<float>::infinity() : 0.0f);
        for (int64_t kd = taps_[0][od].begin; kd < taps_[0][od].end; ++kd) {
          const int64_t id = od * w_.strides[0] - w_.pad_begin[0] + kd * w_.dilations[0];
          for (int64_t kh = taps_[1][oh].begin; kh < taps_[1][oh].end; ++kh) {
            const int64_t ih = oh * w_.strides[1] - w_.pad_begin[1] + kh * w_.dilations[1];
            const float* row = x + (id * w_.input[1] + ih) * w_.input[2];
            for (int64_t kw = 0; kw < w_.kernel[2]; ++kw) {
              // src[o * stride] is the input under tap kw of output o.
              const float* src = row + kw * w_.dilations[2] - w_.pad_begin[2];
              if constexpr (kMax) {
                MaxRow(src, w_.strides[2], width_outputs_[kw], dst);
              } else {
                SumRow(src, w_.strides[2], width_outputs_[kw], dst);
              }
            }
          }
        }
        if constexpr (!kMax) {
          const int64_t rows = divisor_counts_[0][od] * divisor_counts_[1][oh];
          for (int64_t o = 0; o < w_.output[2]; ++o) {
            dst[o] /= static_cast<float>(rows * divisor_counts_[2][o]);
          }
        }
      }
    }
  }

  Window3d w_;
  int64_t planes_;
  std::vector<StepRange> width_outputs_;                // per kernel column
  std::array<std::vector<StepRange>, 3> taps_;          // per axis, per output position
  std::array<std::vector<int64_t>, 3> divisor_counts_;  // AveragePool: per axis, per output position
};

template <bool kMax>
Result<std::unique_ptr<Kernel>> CreateWindowPool(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  if (ctx.has_output(1)) {
    return Error(ErrorCode::kUnimplemented, "MaxPool's Indices output is not supported by the CPU backend");
  }
  const Shape& x = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(WindowGeometry geometry,
                           ParseWindowGeometry(ctx.attributes(), std::span(x).subspan(2)));
  MISSILE_ASSIGN_OR_RETURN(Window3d window, ToWindow3d(geometry));
  const bool count_include_pad = ctx.attributes().Int("count_include_pad", 0) != 0;
  return std::unique_ptr<Kernel>(new WindowPoolKernel<kMax>(window, x[0] * x[1], count_include_pad));
}

// GlobalMaxPool (kMax) or GlobalAveragePool: one value per plane.
template <bool kMax>
class GlobalPoolKernel final : public Kernel {
 public:
  GlobalPoolKernel(int64_t planes, int64_t plane_size) : planes_(planes), plane_size_(plane_size) {}

  Status Run(const KernelArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    ParallelForPlanes(planes_, plane_size_, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* plane = x + p * plane_size_;
        if constexpr (kMax) {
          MaxAccumulator acc;
          for (int64_t i = 0; i < plane_size_; ++i) acc.Add(plane[i]);
          y[p] = acc.value();
        } else {
          float sum = 0.0f;
          for (int64_t i = 0; i < plane_size_; ++i) sum += plane[i];
          y[p] = sum / static_cast<float>(plane_size_);
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t planes_;
  int64_t plane_size_;
};

template <bool kMax>
Result<std::unique_ptr<Kernel>> CreateGlobalPool(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  const Shape& x = ctx.input_shape(0);
  return std::unique_ptr<Kernel>(new GlobalPoolKernel<kMax>(x[0] * x[1], DimProduct(x, 2, x.size())));
}

const KernelEntry kKernels[] = {
    {"MaxPool", CreateWindowPool<true>},
    {"AveragePool", CreateWindowPool<false>},
    {"GlobalMaxPool", CreateGlobalPool<true>},
    {"GlobalAveragePool", CreateGlobalPool<false>},
};

}  // namespace

std::span<const KernelEntry> PoolKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
