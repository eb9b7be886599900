// ReduceSum, ReduceMax, ReduceMin and ReduceProd: float32, float16 (accumulated in float32), int64, int32.
#include "ops/cuda/reduce_ops.cuh"

namespace missile::ops::cuda {

KernelResult CreateReduceSum(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<SumOp, false>(ctx);
}
KernelResult CreateReduceMax(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<MaxOp, false>(ctx);
}
KernelResult CreateReduceMin(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<MinOp, false>(ctx);
}
KernelResult CreateReduceProd(const NodeContext& ctx, const BuildContext&) {
  return CreatePlannedReduce<ProdOp, false>(ctx);
}

}  // namespace missile::ops::cuda
