// GlobalMaxPool and GlobalAveragePool, float32 and float16 (computed in float32): one value per (n, c) plane,
// through the general reduction (reduce_kernels.cuh) over the input seen as [planes, plane]. A ResNet's
// [N, 2048, 7, 7] is a warp per plane; large planes get a block each. The maximum lets a NaN win, as the CPU
// pool does (ReduceMax skips NaNs instead).
#include "ops/cuda/pool_family.h"
#include "ops/cuda/reduce_kernels.cuh"

namespace missile::ops::cuda {
namespace {

template <template <typename> class OpT>
KernelResult CreateGlobalPool(const NodeContext& ctx) {
  const Shape& x = ctx.input_shape(0);  // [N, C, spatial...], rank >= 3 (the schema)
  const Shape planes = {x[0] * x[1], DimProduct(x, 2, x.size())};
  MISSILE_ASSIGN_OR_RETURN(ReducePlan plan, ReducePlan::From(planes, {false, true}));
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(),
                       [&](auto tag) { return MakePlannedReduce<decltype(tag), OpT>(plan); });
}

}  // namespace

KernelResult CreateGlobalMaxPool(const NodeContext& ctx, const BuildContext&) {
  return CreateGlobalPool<NanMaxOp>(ctx);
}
KernelResult CreateGlobalAveragePool(const NodeContext& ctx, const BuildContext&) {
  return CreateGlobalPool<MeanOp>(ctx);
}

}  // namespace missile::ops::cuda
