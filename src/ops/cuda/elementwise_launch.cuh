// The two kernel shapes every elementwise operator of the CUDA backend is built from, and the Kernel classes
// that launch them:
//  - a map, out[i] = op(in[i]), for unary operators and casts (all operands contiguous), and
//  - a broadcasting n-ary op, out[i] = op(a[ia(i)], b[ib(i)], ...), for binary, variadic and ternary
//  operators.
// Both give each thread a group of W consecutive elements, W chosen so that the widest operand moves 16 bytes
// at once (one vector load or store per operand), and finish the last n % W elements (or everything, when
// the output is not aligned for vector stores) one by one.
//
// A broadcast operand is read through its FastStridedIndex: one offset per group, then steps along the
// innermost dim while the group stays inside it. So the hot patterns cost no division per element: a
// same-shape operand (a residual add) is a contiguous vector load, a bias of [1,C,1,1] against [N,C,H,W] or a
// row [D] against [B,S,D] is one offset per group, a scalar is one load. Tensors of 2^31 elements or more use
// the plain 64-bit StridedIndex, one element per thread.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <utility>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/fast_strided_index.h"

namespace missile::ops::cuda::elementwise {

// Elements per thread: what makes the widest of the types one 16-byte access.
template <typename... T>
inline constexpr int kGroupWidth = static_cast<int>(16 / std::max({sizeof(T)...}));

// W elements of T moved as one aligned vector.
template <typename T, int W>
struct alignas(sizeof(T) * W) Pack {
  T v[W];
};

// W loaded elements in their compute type.
template <typename T, int W>
struct Values {
  ComputeType<T> v[W];
};

template <int W, typename T>
__device__ __forceinline__ bool IsAligned(const T* p) {
  return reinterpret_cast<uintptr_t>(p) % (sizeof(T) * W) == 0;
}

// W consecutive elements from p: one vector load when p is aligned for it.
template <int W, typename T>
__device__ __forceinline__ void LoadRun(const T* p, Values<T, W>& out) {
  if (IsAligned<W>(p)) {
    const Pack<T, W> pack = *reinterpret_cast<const Pack<T, W>*>(p);
#pragma unroll
    for (int j = 0; j < W; ++j) out.v[j] = Load(pack.v, j);
  } else {
#pragma unroll
    for (int j = 0; j < W; ++j) out.v[j] = Load(p, j);
  }
}

// W results stored at p (aligned for a vector store: the kernels check the output once).
template <int W, typename T>
__device__ __forceinline__ void StoreRun(T* p, const ComputeType<T> (&values)[W]) {
  Pack<T, W> pack;
#pragma unroll
  for (int j = 0; j < W; ++j) pack.v[j] = FromCompute<T>(values[j]);
  *reinterpret_cast<Pack<T, W>*>(p) = pack;
}

// ---- Broadcasting n-ary kernels ---------------------------------------------------------------------------

template <typename T>
struct Operand32 {
  const T* data;
  FastStridedIndex index;
};

template <typename T>
struct Operand64 {
  const T* data;
  StridedIndex index;
};

// The W elements that output elements [first, first + W) read from operand `in`.
template <int W, typename T>
__device__ __forceinline__ Values<T, W> LoadGroup(const Operand32<T>& in, uint32_t first) {
  Values<T, W> values;
  int32_t inner;
  const int32_t offset = in.index.Offset(first, &inner);
  if (inner <= in.index.inner_size - W) {
    // The group lies within one run of the innermost dim: elements step by its stride.
    const T* p = in.data + offset;
    const int32_t step = in.index.inner_stride;
    if (step == 1) {
      LoadRun<W>(p, values);
    } else if (step == 0) {
      const ComputeType<T> x = Load(p, 0);
#pragma unroll
      for (int j = 0; j < W; ++j) values.v[j] = x;
    } else {
#pragma unroll
      for (int j = 0; j < W; ++j) values.v[j] = Load(p, static_cast<int64_t>(j) * step);
    }
  } else {
#pragma unroll
    for (int j = 0; j < W; ++j) values.v[j] = Load(in.data, in.index.Offset(first + j));
  }
  return values;
}

template <int W, typename Op, typename R, typename... V>
__device__ __forceinline__ void ApplyGroup(const Op& op, R (&result)[W], const V&... values) {
#pragma unroll
  for (int j = 0; j < W; ++j) result[j] = static_cast<R>(op(values.v[j]...));
}

// n < 2^31 and every operand's offsets fit in 31 bits.
template <int W, typename Op, typename Out, typename... In>
__global__ void __launch_bounds__(kThreadsPerBlock)
    BroadcastKernel32(uint32_t n, Op op, Out* out, Operand32<In>... in) {
  const int64_t groups = IsAligned<W>(out) ? n / W : 0;
  MISSILE_GRID_STRIDE_LOOP(g, groups) {
    const uint32_t first = static_cast<uint32_t>(g) * W;
    ComputeType<Out> result[W];
    ApplyGroup<W>(op, result, LoadGroup<W>(in, first)...);
    StoreRun<W>(out + first, result);
  }
  const int64_t tail_begin = groups * W + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = tail_begin; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint32_t linear = static_cast<uint32_t>(i);
    out[i] = FromCompute<Out>(static_cast<ComputeType<Out>>(op(Load(in.data, in.index.Offset(linear))...)));
  }
}

// Any size: 64-bit offsets, one element per thread.
template <typename Op, typename Out, typename... In>
__global__ void __launch_bounds__(kThreadsPerBlock)
    BroadcastKernel64(int64_t n, Op op, Out* out, Operand64<In>... in) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    out[i] = FromCompute<Out>(static_cast<ComputeType<Out>>(op(Load(in.data, in.index.Offset(i))...)));
  }
}

// How each of N operands is read for an output shape, decided when the kernel is built.
template <size_t N>
struct BroadcastPlan {
  int64_t count = 0;
  bool fast = true;  // every index has a 32-bit form
  std::array<StridedIndex, N> wide;
  std::array<FastStridedIndex, N> narrow;
};

template <size_t N>
Result<BroadcastPlan<N>> PlanBroadcast(const Shape& output, const std::array<const Shape*, N>& inputs) {
  BroadcastPlan<N> plan;
  plan.count = NumElements(output);
  plan.fast = plan.count <= std::numeric_limits<int32_t>::max();
  for (size_t k = 0; k < N; ++k) {
    MISSILE_ASSIGN_OR_RETURN(plan.wide[k], BroadcastIndex(*inputs[k], output));
    if (const std::optional<FastStridedIndex> fast = MakeFastStridedIndex(plan.wide[k])) {
      plan.narrow[k] = *fast;
    } else {
      plan.fast = false;
    }
  }
  return plan;
}

template <typename Op, typename Out, typename... In, size_t... K>
void LaunchBroadcastOver(cudaStream_t stream, const BroadcastPlan<sizeof...(In)>& plan, const Op& op,
                         Out* out, std::index_sequence<K...>, const In*... in) {
  if (plan.count == 0) return;
  if (plan.fast) {
    constexpr int W = kGroupWidth<Out, In...>;
    BroadcastKernel32<W, Op, Out, In...><<<BlocksFor(plan.count / W), kThreadsPerBlock, 0, stream>>>(
        static_cast<uint32_t>(plan.count), op, out, Operand32<In>{in, plan.narrow[K]}...);
  } else {
    BroadcastKernel64<Op, Out, In...><<<BlocksFor(plan.count), kThreadsPerBlock, 0, stream>>>(
        plan.count, op, out, Operand64<In>{in, plan.wide[K]}...);
  }
}

// out = op(in0, in1, ...) with NumPy broadcasting; In... are the inputs' storage types, Out the output's.
template <typename Op, typename Out, typename... In>
void LaunchBroadcast(cudaStream_t stream, const BroadcastPlan<sizeof...(In)>& plan, const Op& op, Out* out,
                     const In*... in) {
  LaunchBroadcastOver(stream, plan, op, out, std::index_sequence_for<In...>{}, in...);
}

template <typename Op, typename Out, typename... In>
class BroadcastKernel final : public Kernel {
 public:
  BroadcastKernel(BroadcastPlan<sizeof...(In)> plan, Op op) : plan_(std::move(plan)), op_(op) {}

  Status Run(const KernelArgs& args) const override {
    if (plan_.count == 0) return Status::Ok();
    Launch(args, std::index_sequence_for<In...>{});
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  template <size_t... K>
  void Launch(const KernelArgs& args, std::index_sequence<K...>) const {
    LaunchBroadcast(args.launch->stream, plan_, op_, static_cast<Out*>(args.outputs[0]),
                    static_cast<const In*>(args.inputs[K])...);
  }

  BroadcastPlan<sizeof...(In)> plan_;
  Op op_;
};

template <typename Out, typename... In, typename Op, size_t... K>
KernelResult MakeBroadcastOver(const NodeContext& ctx, Op op, std::index_sequence<K...>) {
  const std::array<const Shape*, sizeof...(In)> shapes = {&ctx.input_shape(K)...};
  MISSILE_ASSIGN_OR_RETURN(BroadcastPlan<sizeof...(In)> plan, PlanBroadcast(ctx.output_shape(0), shapes));
  return MakeKernel<BroadcastKernel<Op, Out, In...>>(std::move(plan), op);
}

// The kernel computing op over the node's inputs (all of them, in order) into output 0.
template <typename Out, typename... In, typename Op>
KernelResult MakeBroadcast(const NodeContext& ctx, Op op) {
  return MakeBroadcastOver<Out, In...>(ctx, op, std::index_sequence_for<In...>{});
}

// ---- Maps -------------------------------------------------------------------------------------------------

template <int W, typename Op, typename Out, typename In>
__global__ void __launch_bounds__(kThreadsPerBlock) MapKernel(int64_t n, Op op, Out* out, const In* in) {
  const int64_t groups = IsAligned<W>(out) && IsAligned<W>(in) ? n / W : 0;
  MISSILE_GRID_STRIDE_LOOP(g, groups) {
    const int64_t first = g * W;
    Values<In, W> x;
    LoadRun<W>(in + first, x);
    ComputeType<Out> result[W];
    ApplyGroup<W>(op, result, x);
    StoreRun<W>(out + first, result);
  }
  const int64_t tail_begin = groups * W + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = tail_begin; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = FromCompute<Out>(static_cast<ComputeType<Out>>(op(Load(in, i))));
  }
}

template <typename Op, typename Out, typename In>
void LaunchMap(cudaStream_t stream, int64_t count, const Op& op, Out* out, const In* in) {
  if (count == 0) return;
  constexpr int W = kGroupWidth<Out, In>;
  MapKernel<W, Op, Out, In><<<BlocksFor(count / W), kThreadsPerBlock, 0, stream>>>(count, op, out, in);
}

// out[i] = op(in[i]) over the output's elements (input 0 has as many).
template <typename Op, typename Out, typename In>
class MapKernelOf final : public Kernel {
 public:
  MapKernelOf(int64_t count, Op op) : count_(count), op_(op) {}

  Status Run(const KernelArgs& args) const override {
    if (count_ == 0) return Status::Ok();
    LaunchMap(args.launch->stream, count_, op_, static_cast<Out*>(args.outputs[0]),
              static_cast<const In*>(args.inputs[0]));
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  int64_t count_;
  Op op_;
};

template <typename Out, typename In, typename Op>
KernelResult MakeMap(const NodeContext& ctx, Op op) {
  return MakeKernel<MapKernelOf<Op, Out, In>>(NumElements(ctx.output_shape(0)), op);
}

// ---- Copies -----------------------------------------------------------------------------------------------

// Input 0's bytes into output 0: identity-like operators whose buffers the planner could not alias.
class CopyKernel final : public Kernel {
 public:
  explicit CopyKernel(size_t bytes) : bytes_(bytes) {}

  Status Run(const KernelArgs& args) const override {
    if (bytes_ == 0 || args.outputs[0] == args.inputs[0]) return Status::Ok();
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(args.outputs[0], args.inputs[0], bytes_,
                                                 cudaMemcpyDeviceToDevice, args.launch->stream));
    return Status::Ok();
  }

 private:
  size_t bytes_;
};

inline KernelResult MakeCopy(const NodeContext& ctx) {
  return MakeKernel<CopyKernel>(ctx.output(0).nbytes());
}

}  // namespace missile::ops::cuda::elementwise
