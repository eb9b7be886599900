// Unary elementwise operators: maps over contiguous tensors (elementwise_launch.cuh), with the dtypes the CPU
// backend accepts for each, plus float16 for the float ones.
#include <cmath>

#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

// A float map (float32, float16).
template <typename Op>
KernelResult FloatMap(const NodeContext& ctx, Op op) {
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeMap<T, T>(ctx, op);
  });
}

// A map over every arithmetic type (Relu, Neg, Abs also run on shape math).
template <typename Op>
KernelResult ArithmeticMap(const NodeContext& ctx) {
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeMap<T, T>(ctx, Op{});
  });
}

template <typename Op>
KernelResult CreateFloatMap(const NodeContext& ctx, const BuildContext&) {
  return FloatMap(ctx, Op{});
}

template <typename Op>
KernelResult CreateArithmeticMap(const NodeContext& ctx, const BuildContext&) {
  return ArithmeticMap<Op>(ctx);
}

KernelResult CreateClip(const NodeContext& ctx, const BuildContext&) {
  // Bounds are constants (the schema requires it), read once here; an omitted bound is unbounded.
  float lo = -INFINITY, hi = INFINITY;
  if (ctx.has_input(1)) {
    MISSILE_ASSIGN_OR_RETURN(lo, ctx.ConstantScalar(1));
  }
  if (ctx.has_input(2)) {
    MISSILE_ASSIGN_OR_RETURN(hi, ctx.ConstantScalar(2));
  }
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return MakeMap<float, float>(ctx, ClipOp{lo, hi});
    case DataType::kFloat16:
      return MakeMap<__half, __half>(ctx, ClipOp{lo, hi});
    case DataType::kInt64:
      // The CPU's conversion of the float bounds, clamped to what int64 holds.
      return MakeMap<int64_t, int64_t>(ctx, ClipInt64Op{static_cast<int64_t>(std::max(lo, -9.2e18f)),
                                                        static_cast<int64_t>(std::min(hi, 9.2e18f))});
    default:
      return Error(ErrorCode::kUnimplemented, "Clip on {} is not supported by the CUDA backend",
                   DataTypeName(ctx.input_dtype(0)));
  }
}

KernelResult CreateHardSigmoid(const NodeContext& ctx, const BuildContext&) {
  return FloatMap(ctx,
                  HardSigmoidOp{ctx.attributes().Float("alpha", 0.2f), ctx.attributes().Float("beta", 0.5f)});
}

KernelResult CreateLeakyRelu(const NodeContext& ctx, const BuildContext&) {
  return FloatMap(ctx, LeakyReluOp{ctx.attributes().Float("alpha", 0.01f)});
}

KernelResult CreateElu(const NodeContext& ctx, const BuildContext&) {
  return FloatMap(ctx, EluOp{ctx.attributes().Float("alpha", 1.0f)});
}

KernelResult CreateGelu(const NodeContext& ctx, const BuildContext& build) {
  MISSILE_ASSIGN_OR_RETURN(Activation gelu, GeluFromAttributes(ctx.attributes()));
  return gelu.kind == Activation::Kind::kGelu
             ? CreateFloatMap<ActivationOp<Activation::Kind::kGelu>>(ctx, build)
             : CreateFloatMap<ActivationOp<Activation::Kind::kGeluTanh>>(ctx, build);
}

KernelResult CreateNot(const NodeContext& ctx, const BuildContext&) {
  return MakeMap<bool, bool>(ctx, NotOp{});
}

KernelResult CreateView(const NodeContext& ctx, const BuildContext&) {
  return MakeCopy(ctx);
}

const KernelEntry kKernels[] = {
    {"Relu", CreateArithmeticMap<ReluOp>},
    {"Neg", CreateArithmeticMap<NegOp>},
    {"Abs", CreateArithmeticMap<AbsOp>},
    {"Sigmoid", CreateFloatMap<ActivationOp<Activation::Kind::kSigmoid>>},
    {"HardSwish", CreateFloatMap<ActivationOp<Activation::Kind::kHardSwish>>},
    {"Gelu", CreateGelu},
    {"Tanh", CreateFloatMap<TanhOp>},
    {"Erf", CreateFloatMap<ErfOp>},
    {"Sqrt", CreateFloatMap<SqrtOp>},
    {"Exp", CreateFloatMap<ExpOp>},
    {"Log", CreateFloatMap<LogOp>},
    {"Reciprocal", CreateFloatMap<ReciprocalOp>},
    {"Floor", CreateFloatMap<FloorOp>},
    {"Ceil", CreateFloatMap<CeilOp>},
    {"Sin", CreateFloatMap<SinOp>},
    {"Cos", CreateFloatMap<CosOp>},
    {"Softplus", CreateFloatMap<SoftplusOp>},
    {"HardSigmoid", CreateHardSigmoid},
    {"LeakyRelu", CreateLeakyRelu},
    {"Elu", CreateElu},
    {"Not", CreateNot},
    {"Clip", CreateClip},
    {"Identity", CreateView},
    {"Dropout", CreateView},
};

}  // namespace

std::span<const KernelEntry> UnaryKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda::elementwise
