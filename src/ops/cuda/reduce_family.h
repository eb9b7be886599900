// Factories of the CUDA reduction family, registered by ReduceKernels() (reduce.cu): the Reduce* operators,
// Softmax / LogSoftmax, and the scans along one axis (CumSum, ArgMax, ArgMin).
#pragma once

#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {

// reduce_arith.cu: float32, float16, int64, int32.
KernelResult CreateReduceSum(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceMax(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceMin(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceProd(const NodeContext& ctx, const BuildContext& build);
// reduce_float.cu: float32, float16.
KernelResult CreateReduceMean(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceSumSquare(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceL1(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateReduceL2(const NodeContext& ctx, const BuildContext& build);
// reduce_softmax.cu
KernelResult CreateSoftmax(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateLogSoftmax(const NodeContext& ctx, const BuildContext& build);
// scan_cumsum.cu, scan_argreduce.cu
KernelResult CreateCumSum(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateArgMax(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateArgMin(const NodeContext& ctx, const BuildContext& build);

// ReduceGeometry's noop (no axes and noop_with_empty_axes): the output is a copy of the input.
KernelResult MakeDeviceCopyKernel(size_t bytes);

}  // namespace missile::ops::cuda
