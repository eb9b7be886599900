// MaxPool and AveragePool over 1-D to 3-D windows (Window3d from ops/window_geometry.h: pads, auto_pad,
// dilations, ceil_mode), float32 and float16 (computed in float32), as the CPU kernel computes them: a thread
// per output element folds the taps of its window that read the input (ops/window_taps.h, the same arithmetic
// as the CPU's tap tables) in depth, height, width order. MaxPool starts from -inf and lets a NaN win;
// AveragePool divides by the taps inside the input, or with count_include_pad by the taps inside the padded
// input. MaxPool's optional Indices output is refused, as on the CPU.
//
// Where every index fits in 32 bits (all the evaluation models) a second kernel does the same in 32-bit
// arithmetic, without divisions for undilated windows (WindowAxis32): the 64-bit divisions of the general
// kernel made Inception-v3's pools at batch 32 compute-bound, 10 to 30 times slower than their memory
// traffic.
#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/pool_family.h"
#include "ops/cuda/reduce_common.cuh"
#include "ops/window_taps.h"

namespace missile::ops::cuda {
namespace {

// The taps of one axis, through one interface for the 64-bit (WindowAxis) and 32-bit (WindowAxis32) forms.
template <bool kUnitDilation>
__device__ __forceinline__ void Taps(const WindowAxis& axis, int64_t o, int64_t* begin, int64_t* end) {
  const StepRange taps = axis.TapsInside(o);
  *begin = taps.begin;
  *end = taps.end;
}
template <bool kUnitDilation>
__device__ __forceinline__ void Taps(const WindowAxis32& axis, int32_t o, int32_t* begin, int32_t* end) {
  axis.TapsInside<kUnitDilation>(o, begin, end);
}
template <bool kUnitDilation>
__device__ __forceinline__ int64_t PaddedTaps(const WindowAxis& axis, int64_t o) {
  return axis.TapsInsidePadding(o);
}
template <bool kUnitDilation>
__device__ __forceinline__ int32_t PaddedTaps(const WindowAxis32& axis, int32_t o) {
  return axis.TapsInsidePadding<kUnitDilation>(o);
}

// Index: int64_t with WindowAxis, int32_t with WindowAxis32.
template <typename Axis, typename Index>
struct PoolArgs {
  Axis axes[3];  // depth, height, width
  Index output[3];
  Index input_plane;  // input elements per (n, c) plane
  Index total;        // output elements
  bool count_include_pad;
};

template <typename T, bool kMax, bool kUnitDilation, typename Axis, typename Index>
__global__ void WindowPoolKernel(const T* x, T* y, PoolArgs<Axis, Index> a) {
  const Index threads = static_cast<Index>(gridDim.x) * blockDim.x;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < a.total; i += threads) {
    Index rest = i;
    const Index ow = rest % a.output[2];
    rest /= a.output[2];
    const Index oh = rest % a.output[1];
    rest /= a.output[1];
    const Index od = rest % a.output[0];
    const Index plane = rest / a.output[0];
    const T* src = x + static_cast<int64_t>(plane) * a.input_plane;
    Index d_begin, d_end, h_begin, h_end, w_begin, w_end;
    Taps<kUnitDilation>(a.axes[0], od, &d_begin, &d_end);
    Taps<kUnitDilation>(a.axes[1], oh, &h_begin, &h_end);
    Taps<kUnitDilation>(a.axes[2], ow, &w_begin, &w_end);
    const Index d0 = a.axes[0].Start(od), h0 = a.axes[1].Start(oh), w0 = a.axes[2].Start(ow);
    float acc = kMax ? LowestValue<float>() : 0.0f;
    for (Index kd = d_begin; kd < d_end; ++kd) {
      const Index id = d0 + kd * a.axes[0].dilation;
      for (Index kh = h_begin; kh < h_end; ++kh) {
        const Index ih = h0 + kh * a.axes[1].dilation;
        const T* row = src + (id * a.axes[1].input + ih) * a.axes[2].input;
        for (Index kw = w_begin; kw < w_end; ++kw) {
          const float v = Load(row, w0 + kw * a.axes[2].dilation);
          acc = kMax ? NanMaxOp<float>::Step(acc, v) : acc + v;
        }
      }
    }
    if constexpr (!kMax) {
      Index divisor;
      if (a.count_include_pad) {
        divisor = PaddedTaps<kUnitDilation>(a.axes[0], od) * PaddedTaps<kUnitDilation>(a.axes[1], oh) *
                  PaddedTaps<kUnitDilation>(a.axes[2], ow);
      } else {
        divisor = (d_end - d_begin) * (h_end - h_begin) * (w_end - w_begin);
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
    const int64_t limit = int64_t{1} << 30;
    narrow_ = args_.total < limit && args_.input_plane < limit;
    unit_dilation_ = true;
    for (size_t axis = 0; axis < 3; ++axis) {
      narrow_ = narrow_ && WindowAxis32::Fits(args_.axes[axis], args_.output[axis]);
      unit_dilation_ = unit_dilation_ && args_.axes[axis].dilation == 1;
      narrow_args_.axes[axis] = WindowAxis32::Of(args_.axes[axis]);
      narrow_args_.output[axis] = static_cast<int32_t>(args_.output[axis]);
    }
    narrow_args_.input_plane = static_cast<int32_t>(args_.input_plane);
    narrow_args_.total = static_cast<int32_t>(args_.total);
    narrow_args_.count_include_pad = count_include_pad;
  }

  Status Run(const KernelArgs& args) const override {
    if (args_.total == 0) return Status::Ok();
    const auto* x = static_cast<const T*>(args.inputs[0]);
    auto* y = static_cast<T*>(args.outputs[0]);
    const unsigned blocks = BlocksFor(args_.total);
    const cudaStream_t stream = args.launch->stream;
    if (narrow_ && unit_dilation_) {
      WindowPoolKernel<T, kMax, true><<<blocks, kThreadsPerBlock, 0, stream>>>(x, y, narrow_args_);
    } else if (narrow_) {
      WindowPoolKernel<T, kMax, false><<<blocks, kThreadsPerBlock, 0, stream>>>(x, y, narrow_args_);
    } else {
      WindowPoolKernel<T, kMax, false><<<blocks, kThreadsPerBlock, 0, stream>>>(x, y, args_);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  PoolArgs<WindowAxis, int64_t> args_{};
  PoolArgs<WindowAxis32, int32_t> narrow_args_{};
  bool narrow_ = false;
  bool unit_dilation_ = false;
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
