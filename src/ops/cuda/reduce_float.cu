// ReduceMean, ReduceSumSquare, ReduceL1 and ReduceL2: float32 and float16 (accumulated in float32).
#include "ops/cuda/reduce_ops.cuh"

namespace missile::ops::cuda {

KernelResult CreateReduceMean(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<MeanOp, true>(ctx);
}
KernelResult CreateReduceSumSquare(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<SumSquareOp, true>(ctx);
}
KernelResult CreateReduceL1(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<L1Op, true>(ctx);
}
KernelResult CreateReduceL2(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<L2Op, true>(ctx);
}

}  // namespace missile::ops::cuda
