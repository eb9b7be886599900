// The general GPU reduction: output element o folds the input elements at
// plan.outputs.Offset(o) + plan.reduced.Offset(k), k in [0, plan.reduced_count) (ops/reduce_plan.h), so any
// set of reduced axes runs through the same three kernels (ops/reduce_plan.h's ReduceStrategy). Serves the
// Reduce* operators and the global pools.
#pragma once

#include <cuda_runtime.h>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/reduce_common.cuh"
#include "ops/reduce_plan.h"

namespace missile::ops::cuda {

// The kernels' view of a ReducePlan and its ReduceLaunch, passed by value.
struct ReduceArgs {
  StridedIndex outputs;
  StridedIndex reduced;
  int64_t output_count = 0;
  int64_t reduced_count = 0;
  int64_t slices = 1;        // > 1: partial results go to the workspace, [output][slice]
  int64_t slice_length = 0;  // reduced elements per slice (blockIdx.y)
};

// Offset of folded element k from its output's first: the common ranks without StridedIndex's divisions.
__device__ __forceinline__ int64_t FoldedOffset(const StridedIndex& reduced, int64_t k) {
  if (reduced.rank == 0) return 0;  // at most one folded element
  if (reduced.rank == 1) return k * reduced.strides[0];
  return reduced.Offset(k);
}

// The folded elements [begin, end) of this block's slice.
struct SliceBounds {
  int64_t begin, end;
};
__device__ __forceinline__ SliceBounds ThisSlice(const ReduceArgs& a) {
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * a.slice_length;
  const int64_t end = begin + a.slice_length < a.reduced_count ? begin + a.slice_length : a.reduced_count;
  return {begin, end};
}

// Stores output o's result, or this slice's partial result.
template <typename T, typename Op>
__device__ __forceinline__ void StoreReduced(const ReduceArgs& a, T* out, ComputeType<T>* partial, int64_t o,
                                             ComputeType<T> acc) {
  if (a.slices == 1) {
    out[o] = FromCompute<T>(Op::Finish(acc, a.reduced_count));
  } else {
    partial[o * a.slices + blockIdx.y] = acc;
  }
}

// kColumns: block (32, 8); threadIdx.x picks one of 32 adjacent outputs, threadIdx.y strides its folded
// elements, and the 8 partial results of each output are merged through shared memory.
template <typename T, typename Op>
__global__ void ReduceColumnsKernel(const T* in, T* out, ComputeType<T>* partial, ReduceArgs a) {
  using A = ComputeType<T>;
  __shared__ A tile[kReduceColumnsHeight][kReduceColumnsWidth + 1];
  const SliceBounds slice = ThisSlice(a);
  const int64_t tile_stride = static_cast<int64_t>(gridDim.x) * kReduceColumnsWidth;
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * kReduceColumnsWidth; first < a.output_count;
       first += tile_stride) {
    const int64_t o = first + threadIdx.x;
    A acc = Op::Init();
    if (o < a.output_count) {
      const T* base = in + a.outputs.Offset(o);
      for (int64_t k = slice.begin + threadIdx.y; k < slice.end; k += kReduceColumnsHeight) {
        acc = Op::Step(acc, Load(base, FoldedOffset(a.reduced, k)));
      }
    }
    tile[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && o < a.output_count) {
      for (int y = 1; y < kReduceColumnsHeight; ++y) acc = Op::Merge(acc, tile[y][threadIdx.x]);
      StoreReduced<T, Op>(a, out, partial, o, acc);
    }
    __syncthreads();  // the tile is rewritten by the next round
  }
}

// kWarpPerOutput: each warp of a kReduceWarpBlockThreads block folds one output at a time.
template <typename T, typename Op>
__global__ void ReduceWarpPerOutputKernel(const T* in, T* out, ComputeType<T>* partial, ReduceArgs a) {
  using A = ComputeType<T>;
  constexpr int kWarpsPerBlock = kReduceWarpBlockThreads / 32;
  const SliceBounds slice = ThisSlice(a);
  const int lane = threadIdx.x % 32;
  const int64_t warp_stride = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  // The loop bound is the same for the 32 lanes of a warp, so the shuffles see every lane.
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; o < a.output_count;
       o += warp_stride) {
    const T* base = in + a.outputs.Offset(o);
    A acc = Op::Init();
    for (int64_t k = slice.begin + lane; k < slice.end; k += 32) {
      acc = Op::Step(acc, Load(base, FoldedOffset(a.reduced, k)));
    }
    acc = WarpAllReduce<Op>(acc);
    if (lane == 0) StoreReduced<T, Op>(a, out, partial, o, acc);
  }
}

// kBlockPerOutput: a kReduceBlockThreads block folds one output at a time.
template <typename T, typename Op>
__global__ void ReduceBlockPerOutputKernel(const T* in, T* out, ComputeType<T>* partial, ReduceArgs a) {
  using A = ComputeType<T>;
  const SliceBounds slice = ThisSlice(a);
  for (int64_t o = blockIdx.x; o < a.output_count; o += gridDim.x) {  // uniform across the block
    const T* base = in + a.outputs.Offset(o);
    A acc = Op::Init();
    for (int64_t k = slice.begin + threadIdx.x; k < slice.end; k += blockDim.x) {
      acc = Op::Step(acc, Load(base, FoldedOffset(a.reduced, k)));
    }
    acc = BlockAllReduce<Op>(acc);
    if (threadIdx.x == 0) StoreReduced<T, Op>(a, out, partial, o, acc);
  }
}

// After a split launch: merges each output's slices partial results, in slice order.
template <typename T, typename Op>
__global__ void ReduceMergeSlicesKernel(const ComputeType<T>* partial, T* out, int64_t output_count,
                                        int64_t slices, int64_t reduced_count) {
  MISSILE_GRID_STRIDE_LOOP(o, output_count) {
    const ComputeType<T>* p = partial + o * slices;
    ComputeType<T> acc = p[0];
    for (int64_t s = 1; s < slices; ++s) acc = Op::Merge(acc, p[s]);
    out[o] = FromCompute<T>(Op::Finish(acc, reduced_count));
  }
}

// A reduction of a T tensor with the operator OpT<ComputeType<T>>, planned once when built.
template <typename T, template <typename> class OpT>
class PlannedReduceKernel final : public Kernel {
 public:
  using A = ComputeType<T>;
  using Op = OpT<A>;

  PlannedReduceKernel(const ReducePlan& plan, const ReduceLaunch& launch) : strategy_(launch.strategy) {
    args_.outputs = plan.outputs;
    args_.reduced = plan.reduced;
    args_.output_count = plan.output_count;
    args_.reduced_count = plan.reduced_count;
    args_.slices = launch.slices;
    args_.slice_length = launch.slice_length;
  }

  size_t workspace_bytes() const override {
    return args_.slices > 1 ? static_cast<size_t>(args_.output_count * args_.slices) * sizeof(A) : 0;
  }

  Status Run(const KernelArgs& args) const override {
    if (args_.output_count == 0) return Status::Ok();
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    A* partial = static_cast<A*>(args.workspace);
    const cudaStream_t stream = args.launch->stream;
    const auto slices = static_cast<unsigned>(args_.slices);
    switch (strategy_) {
      case ReduceStrategy::kColumns:
        ReduceColumnsKernel<T, Op>
            <<<dim3(BlocksFor(args_.output_count, kReduceColumnsWidth), slices),
               dim3(kReduceColumnsWidth, kReduceColumnsHeight), 0, stream>>>(in, out, partial, args_);
        break;
      case ReduceStrategy::kWarpPerOutput:
        ReduceWarpPerOutputKernel<T, Op>
            <<<dim3(BlocksFor(args_.output_count, kReduceWarpBlockThreads / 32), slices),
               kReduceWarpBlockThreads, 0, stream>>>(in, out, partial, args_);
        break;
      case ReduceStrategy::kBlockPerOutput:
        ReduceBlockPerOutputKernel<T, Op>
            <<<dim3(BlocksFor(args_.output_count, 1), slices), kReduceBlockThreads, 0, stream>>>(
                in, out, partial, args_);
        break;
    }
    if (args_.slices > 1) {
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      ReduceMergeSlicesKernel<T, Op><<<BlocksFor(args_.output_count), kThreadsPerBlock, 0, stream>>>(
          partial, out, args_.output_count, args_.slices, args_.reduced_count);
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  ReduceArgs args_;
  ReduceStrategy strategy_;
};

// The kernel for `plan`, launched as PlanReduceLaunch decides.
template <typename T, template <typename> class OpT>
KernelResult MakePlannedReduce(const ReducePlan& plan) {
  return MakeKernel<PlannedReduceKernel<T, OpT>>(plan, PlanReduceLaunch(plan));
}

}  // namespace missile::ops::cuda
