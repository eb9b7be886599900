// Broadcasting arithmetic: Add, Sub, Mul, Div, Mod over every arithmetic type (float32, float16, float64,
// int64, int32), and Pow on floats, with its constant-exponent forms as maps.
#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

template <typename Op>
KernelResult ArithmeticBinary(const NodeContext& ctx, Op op = {}) {
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeBroadcast<T, T, T>(ctx, op);
  });
}

template <typename Op>
KernelResult CreateArithmeticBinary(const NodeContext& ctx, const BuildContext&) {
  return ArithmeticBinary<Op>(ctx);
}

KernelResult CreateMod(const NodeContext& ctx, const BuildContext&) {
  if (ctx.attributes().Int("fmod", 0) == 1) return ArithmeticBinary<FmodOp>(ctx);
  switch (ctx.input_dtype(0)) {
    case DataType::kInt64:
      return MakeBroadcast<int64_t, int64_t, int64_t>(ctx, ModOp{});
    case DataType::kInt32:
      return MakeBroadcast<int32_t, int32_t, int32_t>(ctx, ModOp{});
    default:
      if (IsFloatingPoint(ctx.input_dtype(0))) return InvalidNode("Mod on floating point needs fmod=1");
      return Error(ErrorCode::kUnimplemented, "Mod on {} is not supported by the CUDA backend",
                   DataTypeName(ctx.input_dtype(0)));
  }
}

KernelResult CreatePow(const NodeContext& ctx, const BuildContext&) {
  return DispatchFloat(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    // The common exported forms x^2, x^3, x^0.5 with a constant exponent, as the CPU computes them.
    if (const Tensor* e = ctx.constant_input(1); e != nullptr && e->num_elements() == 1) {
      float exponent = 0;
      ConvertElements(e->dtype(), e->raw_data(), DataType::kFloat32, &exponent, 1);
      if (exponent == 2.0f) return MakeMap<T, T>(ctx, SquareOp{});
      if (exponent == 3.0f) return MakeMap<T, T>(ctx, CubeOp{});
      if (exponent == 0.5f) return MakeMap<T, T>(ctx, SqrtOp{});
      if (exponent == 1.0f) return MakeCopy(ctx);
      return MakeMap<T, T>(ctx, PowScalarOp{exponent});
    }
    if (ctx.input_dtype(1) != ctx.input_dtype(0)) {
      return Error(ErrorCode::kUnimplemented, "Pow of {} with a non-constant {} exponent is not supported",
                   DataTypeName(ctx.input_dtype(0)), DataTypeName(ctx.input_dtype(1)));
    }
    return MakeBroadcast<T, T, T>(ctx, PowOp{});
  });
}

const KernelEntry kKernels[] = {
    {"Add", CreateArithmeticBinary<AddOp>},
    {"Sub", CreateArithmeticBinary<SubOp>},
    {"Mul", CreateArithmeticBinary<MulOp>},
    {"Div", CreateArithmeticBinary<DivOp>},
    {"Mod", CreateMod},
    {"Pow", CreatePow},
};

}  // namespace

std::span<const KernelEntry> BinaryKernels() {
  return kKernels;
}

KernelResult CreateAddKernel(const NodeContext& ctx) {
  return ArithmeticBinary<AddOp>(ctx);
}
KernelResult CreateMaxKernel(const NodeContext& ctx) {
  return ArithmeticBinary<MaxOp>(ctx);
}
KernelResult CreateMinKernel(const NodeContext& ctx) {
  return ArithmeticBinary<MinOp>(ctx);
}

}  // namespace missile::ops::cuda::elementwise
