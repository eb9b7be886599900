// The factory shared by the Reduce* operators (reduce_arith.cu, reduce_float.cu): reads ReduceGeometry like
// the CPU kernel, plans the walk (ops/reduce_plan.h) and instantiates the planned kernel for the dtype.
#pragma once

#include "ops/cuda/reduce_family.h"
#include "ops/cuda/reduce_kernels.cuh"
#include "ops/reduce_geometry.h"

namespace missile::ops::cuda {

// kFloatOnly: float32 and float16 (ReduceMean, ReduceSumSquare, ReduceL1, ReduceL2, float-only on the CPU
// too); otherwise also int64 and int32, accumulated in their own type as the CPU does.
template <template <typename> class OpT, bool kFloatOnly>
KernelResult CreatePlannedReduce(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ReduceGeometry g, ReduceGeometry::From(ctx));
  if (g.noop) return MakeDeviceCopyKernel(ctx.output(0).nbytes());
  MISSILE_ASSIGN_OR_RETURN(ReducePlan plan, ReducePlan::From(ctx.input_shape(0), g.reduced));
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return MakePlannedReduce<float, OpT>(plan);
    case DataType::kFloat16:
      return MakePlannedReduce<__half, OpT>(plan);
    case DataType::kInt64:
      if constexpr (!kFloatOnly) return MakePlannedReduce<int64_t, OpT>(plan);
      break;
    case DataType::kInt32:
      if constexpr (!kFloatOnly) return MakePlannedReduce<int32_t, OpT>(plan);
      break;
    default:
      break;
  }
  return Error(ErrorCode::kUnimplemented, "{} on {} is not supported by the CUDA backend", ctx.op_type(),
               DataTypeName(ctx.input_dtype(0)));
}

}  // namespace missile::ops::cuda
