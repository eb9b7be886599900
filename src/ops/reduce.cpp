// Schemas of the reductions (ReduceSum, ReduceMean, ...) and of Softmax / LogSoftmax.
#include <algorithm>

#include "ops/op_schema.h"

namespace missile::ops {
namespace {

using Specs = Result<std::vector<TensorSpec>>;

// A constant int operand, or `fallback` when the optional input is omitted.
Result<std::vector<int64_t>> OptionalInts(const NodeContext& ctx, size_t i, std::vector<int64_t> fallback) {
  if (!ctx.has_input(i)) return fallback;
  return ctx.ConstantInts(i);
}

Specs ReduceInfer(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  // The axes come from input 1 where the opset made them an input (ReduceSum from 13), else from the
  // attribute.
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                           OptionalInts(ctx, 1, ctx.attributes().Ints("axes", {})));
  if (axes.empty() && ctx.attributes().Int("noop_with_empty_axes", 0) != 0) return std::vector{ctx.input(0)};
  // No axes: every dim.
  std::vector<bool> reduced(in.size(), axes.empty());
  for (int64_t axis : axes) {
    auto normalized = NormalizeAxis(axis, in.size());
    if (!normalized.ok() || in.empty()) {
      return InvalidNode("axes {} do not fit {}", ShapeToString(axes), ShapeToString(in));
    }
    if (reduced[*normalized]) {
      return InvalidNode("axes {} name axis {} twice", ShapeToString(axes), *normalized);
    }
    reduced[*normalized] = true;
  }
  const bool keepdims = ctx.attributes().Int("keepdims", 1) != 0;
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(in[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return std::vector{TensorSpec{ctx.input_dtype(0), std::move(out)}};
}

Specs SoftmaxInfer(const NodeContext& ctx) {
  if (!IsFloatingPoint(ctx.input_dtype(0))) {
    return InvalidNode("expected a floating-point input, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  // Opset 13 semantics: along one axis (not the 2-D flattening of opsets <= 12).
  const size_t rank = ctx.input_shape(0).size();
  auto axis = NormalizeAxis(ctx.attributes().Int("axis", -1), rank);
  if (!axis.ok() || rank == 0) {
    return InvalidNode("expected an axis in [{}, {}), got {}", -static_cast<int64_t>(rank), rank,
                       ctx.attributes().Int("axis", -1));
  }
  return std::vector{ctx.input(0)};
}

constexpr OpSchema Reduce(std::string_view op) {
  return OpSchema{.op_type = op, .min_inputs = 1, .max_inputs = 2, .infer = ReduceInfer};
}

constexpr OpSchema kSchemas[] = {
    Reduce("ReduceSum"),
    Reduce("ReduceMean"),
    Reduce("ReduceMax"),
    Reduce("ReduceMin"),
    Reduce("ReduceProd"),
    Reduce("ReduceSumSquare"),
    Reduce("ReduceL2"),
    Reduce("ReduceL1"),
    OpSchema{.op_type = "Softmax", .infer = SoftmaxInfer},
    OpSchema{.op_type = "LogSoftmax", .infer = SoftmaxInfer},
};

}  // namespace

std::span<const OpSchema> ReduceSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
