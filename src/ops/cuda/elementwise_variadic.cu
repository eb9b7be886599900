// Max, Min, Sum and Mean over any number of broadcast inputs. Two inputs (not Mean) are a plain binary op on
// every arithmetic type; more, or Mean, fold the inputs pairwise into the output as the CPU does (float32 and
// float16 only), Mean dividing by the count in its last fold.
#include <vector>

#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

// Step 0 writes op(input 0, input 1) into the output; step k folds input k + 1 into it in place (each element
// is read and written by the same thread). The last step applies `last` (Mean's add-and-scale).
template <typename T, typename Op, typename LastOp>
class FoldKernel final : public Kernel {
 public:
  FoldKernel(std::vector<BroadcastPlan<2>> steps, Op op, LastOp last)
      : steps_(std::move(steps)), op_(op), last_(last) {}

  Status Run(const KernelArgs& args) const override {
    if (steps_.front().count == 0) return Status::Ok();
    T* out = static_cast<T*>(args.outputs[0]);
    for (size_t k = 0; k < steps_.size(); ++k) {
      const T* running = k == 0 ? static_cast<const T*>(args.inputs[0]) : out;
      const T* next = static_cast<const T*>(args.inputs[k + 1]);
      if (k + 1 == steps_.size()) {
        LaunchBroadcast(args.launch->stream, steps_[k], last_, out, running, next);
      } else {
        LaunchBroadcast(args.launch->stream, steps_[k], op_, out, running, next);
      }
    }
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  std::vector<BroadcastPlan<2>> steps_;
  Op op_;
  LastOp last_;
};

template <typename T, typename Op, typename LastOp>
KernelResult MakeFold(const NodeContext& ctx, Op op, LastOp last) {
  const Shape& out_shape = ctx.output_shape(0);
  std::vector<BroadcastPlan<2>> steps;
  for (size_t k = 1; k < ctx.input_count(); ++k) {
    // The running value is input 0 at its own shape in the first step, then the output.
    const Shape& running = k == 1 ? ctx.input_shape(0) : out_shape;
    MISSILE_ASSIGN_OR_RETURN(BroadcastPlan<2> plan,
                             PlanBroadcast<2>(out_shape, {&running, &ctx.input_shape(k)}));
    steps.push_back(std::move(plan));
  }
  return MakeKernel<FoldKernel<T, Op, LastOp>>(std::move(steps), op, last);
}

template <typename Op>
KernelResult CreateVariadic(const NodeContext& ctx, bool mean, KernelResult (*binary)(const NodeContext&)) {
  const size_t n = ctx.input_count();
  const DataType dtype = ctx.input_dtype(0);
  if ((mean || n > 2) && dtype != DataType::kFloat32 && dtype != DataType::kFloat16) {
    return Error(ErrorCode::kUnimplemented, "{} of {} inputs on {} is not supported (float32, float16 only)",
                 ctx.op_type(), n, DataTypeName(dtype));
  }
  if (n == 1) return MakeCopy(ctx);
  if (n == 2 && !mean) return binary(ctx);
  return DispatchFloat(dtype, ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    if (mean) return MakeFold<T>(ctx, AddOp{}, AddScaleOp{1.0f / static_cast<float>(n)});
    return MakeFold<T>(ctx, Op{}, Op{});
  });
}

KernelResult CreateMax(const NodeContext& ctx, const BuildContext&) {
  return CreateVariadic<MaxOp>(ctx, false, CreateMaxKernel);
}
KernelResult CreateMin(const NodeContext& ctx, const BuildContext&) {
  return CreateVariadic<MinOp>(ctx, false, CreateMinKernel);
}
KernelResult CreateSum(const NodeContext& ctx, const BuildContext&) {
  return CreateVariadic<AddOp>(ctx, false, CreateAddKernel);
}
KernelResult CreateMean(const NodeContext& ctx, const BuildContext&) {
  return CreateVariadic<AddOp>(ctx, true, CreateAddKernel);
}

const KernelEntry kKernels[] = {
    {"Max", CreateMax},
    {"Min", CreateMin},
    {"Sum", CreateSum},
    {"Mean", CreateMean},
};

}  // namespace

std::span<const KernelEntry> VariadicKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda::elementwise
