// Comparisons (Equal, Less, LessOrEqual, Greater, GreaterOrEqual) over the arithmetic types and bool, and the
// logical And, Or, Xor: broadcasting, with a bool output.
#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

template <typename Op>
KernelResult CreateComparison(const NodeContext& ctx, const BuildContext&) {
  if (ctx.input_dtype(0) == DataType::kBool) return MakeBroadcast<bool, bool, bool>(ctx, Op{});
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeBroadcast<bool, T, T>(ctx, Op{});
  });
}

template <typename Op>
KernelResult CreateLogical(const NodeContext& ctx, const BuildContext&) {
  return MakeBroadcast<bool, bool, bool>(ctx, Op{});
}

const KernelEntry kKernels[] = {
    {"Equal", CreateComparison<EqualOp>},
    {"Less", CreateComparison<LessOp>},
    {"LessOrEqual", CreateComparison<LessEqualOp>},
    {"Greater", CreateComparison<GreaterOp>},
    {"GreaterOrEqual", CreateComparison<GreaterEqualOp>},
    {"And", CreateLogical<AndOp>},
    {"Or", CreateLogical<OrOp>},
    {"Xor", CreateLogical<XorOp>},
};

}  // namespace

std::span<const KernelEntry> ComparisonKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda::elementwise
