// Where(condition, x, y) with three-way broadcasting. The branches are moved as bytes, so one kernel per
// element width serves every dtype.
#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

KernelResult CreateWhere(const NodeContext& ctx, const BuildContext&) {
  if (ctx.input_dtype(0) != DataType::kBool) {
    return InvalidNode("Where's condition must be bool, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  return DispatchBySize(ctx.output(0).dtype, [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeBroadcast<T, bool, T, T>(ctx, WhereOp{});
  });
}

const KernelEntry kKernels[] = {
    {"Where", CreateWhere},
};

}  // namespace

std::span<const KernelEntry> WhereKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda::elementwise
