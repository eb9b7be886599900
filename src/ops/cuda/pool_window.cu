// MaxPool and AveragePool over 1-D to 3-D windows (Window3d from ops/window_geometry.h: pads, auto_pad,
// dilations, ceil_mode), float32 and float16 (computed in float32), as the CPU kernel computes them: a thread
// per output element folds the taps of its window that read the input (ops/window_taps.h, the same arithmetic
// as the CPU's tap tables) in depth, height, width order. MaxPool starts from -inf and lets a NaN win;
// AveragePool divides by the taps inside the input, or with count_include_pad by the taps inside the padded
// input. MaxPool's optional Indices output is refused, as on the CPU.
#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/pool_family.h"
#include "ops/cuda/reduce_common.cuh"
#include "ops/window_taps.h"

namespace missile::ops::cuda {
namespace {

struct PoolArgs {
  WindowAxis axes[3];  // depth, height, width
  int64_t output[3];
  int64_t input_plane;  // input elements per (n, c) plane
  int64_t total;        // output elements
  bool count_include_pad;
};

template <typename T, bool kMax>
__global__ void WindowPoolKernel(const T* x, T* y, PoolArgs a) {
  MISSILE_GRID_STRIDE_LOOP(i, a.total) {
    int64_t rest = i;
    const int64_t ow = rest % a.output[2];
    rest /= a.output[2];
    const int64_t oh = rest % a.output[1];
    rest /= a.output[1];
    const int64_t od = rest % a.output[0];
    const int64_t plane = rest / a.output[0];
    const T* src = x + plane * a.input_plane;
    const StepRange td = a.axes[0].TapsInside(od), th = a.axes[1].TapsInside(oh),
                    tw = a.axes[2].TapsInside(ow);
    const int64_t d0 = a.axes[0].Start(od), h0 = a.axes[1].Start(oh), w0 = a.axes[2].Start(ow);
    float acc = kMax ? LowestValue<float>() : 0.0f;
    for (int64_t kd = td.begin; kd < td.end; ++kd) {
      const int64_t id = d0 + kd * a.axes[0].dilation;
      for (int64_t kh = th.begin; kh < th.end; ++kh) {
        const int64_t ih = h0 + kh * a.axes[1].dilation;
        const T* row = src + (id * a.axes[1].input + ih) * a.axes[2].input;
        for (int64_t kw = tw.begin; kw < tw.end; ++kw) {
          const float v = Load(row, w0 + kw * a.axes[2].dilation);
          acc = kMax ? NanMaxOp<float>::Step(acc, v) : acc + v;
        }
      }
    }
    if constexpr (!kMax) {
      int64_t divisor;
      if (a.count_include_pad) {
        divisor = a.axes[0].TapsInsidePadding(od) * a.axes[1].TapsInsidePadding(oh) *
                  a.axes[2].TapsInsidePadding(ow);
      } else {
        divisor = (td.end - td.begin) * (th.end - th.begin) * (tw.end - tw.begin);
      }
      acc /= static_cast<float>(divisor);  // 0 / 0 = NaN for a window wholly in the padding, as on the CPU
    }
    y[i] = FromCompute<T>(acc);
  }
}

template <typename T, bool kMax>
class WindowPoolKernelImpl final : public Kernel {
 public:
  WindowPoolKernelImpl(const Window3d& w, int64_t planes, bool count_include_pad) {
    for (size_t axis = 0; axis < 3; ++axis) {
      args_.axes[axis] = WindowAxis::Of(w, axis);
      args_.output[axis] = w.output[axis];
    }
    args_.input_plane = w.input_size();
    args_.total = planes * w.output_size();
    args_.count_include_pad = count_include_pad;
  }

  Status Run(const KernelArgs& args) const override {
    if (args_.total == 0) return Status::Ok();
    WindowPoolKernel<T, kMax><<<BlocksFor(args_.total), kThreadsPerBlock, 0, args.launch->stream>>>(
        static_cast<const T*>(args.inputs[0]), static_cast<T*>(args.outputs[0]), args_);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  PoolArgs args_{};
};

template <bool kMax>
KernelResult CreateWindowPool(const NodeContext& ctx) {
  if (ctx.has_output(1)) {
    return Error(ErrorCode::kUnimplemented, "MaxPool's Indices output is not supported by the CUDA backend");
  }
  const Shape& x = ctx.input_shape(0);  // [N, C, spatial...], rank >= 3 (the schema)
  MISSILE_ASSIGN_OR_RETURN(WindowGeometry geometry,
                           ParseWindowGeometry(ctx.attributes(), std::span(x).subspan(2)));
  MISSILE_ASSIGN_OR_RETURN(Window3d window, ToWindow3d(geometry));
  const bool count_include_pad = ctx.attributes().Int("count_include_pad", 0) != 0;
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) {
    return MakeKernel<WindowPoolKernelImpl<decltype(tag), kMax>>(window, x[0] * x[1], count_include_pad);
  });
}

}  // namespace

KernelResult CreateMaxPool(const NodeContext& ctx, const BuildContext&) {
  return CreateWindowPool<true>(ctx);
}
KernelResult CreateAveragePool(const NodeContext& ctx, const BuildContext&) {
  return CreateWindowPool<false>(ctx);
}

}  // namespace missile::ops::cuda
