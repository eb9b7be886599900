// Schemas of MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool. The window arithmetic (pads,
// auto_pad, ceil_mode, dilations) is ops/window_geometry's, shared with Conv.
#include "ops/op_schema.h"
#include "ops/window_geometry.h"

namespace missile::ops {
namespace {

Status CheckInput(const NodeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.size() < 3) return InvalidNode("X must be [N, C, spatial...] (rank >= 3), got {}", ShapeToString(x));
  const DataType dtype = ctx.input_dtype(0);
  const bool max_pool = ctx.op_type() == "MaxPool" || ctx.op_type() == "GlobalMaxPool";
  if (!IsFloatingPoint(dtype) && !(max_pool && (dtype == DataType::kInt8 || dtype == DataType::kUInt8))) {
    return InvalidNode("X must be floating point{}, got {}", max_pool ? " or 8-bit integer" : "",
                       DataTypeName(dtype));
  }
  return Status::Ok();
}

// Y, and for MaxPool the Indices output of the same shape (int64).
Result<std::vector<TensorSpec>> WindowPoolInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(CheckInput(ctx));
  const Shape& x = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(WindowGeometry geometry,
                           ParseWindowGeometry(ctx.attributes(), std::span(x).subspan(2)));
  Shape output = {x[0], x[1]};
  output.insert(output.end(), geometry.output.begin(), geometry.output.end());
  return std::vector{TensorSpec{ctx.input_dtype(0), output}, TensorSpec{DataType::kInt64, output}};
}

Result<std::vector<TensorSpec>> GlobalPoolInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(CheckInput(ctx));
  Shape output = ctx.input_shape(0);
  std::fill(output.begin() + 2, output.end(), 1);
  return std::vector{TensorSpec{ctx.input_dtype(0), output}};
}

constexpr OpSchema kSchemas[] = {
    OpSchema{.op_type = "MaxPool", .max_outputs = 2, .infer = WindowPoolInfer},
    OpSchema{.op_type = "AveragePool", .infer = WindowPoolInfer},
    OpSchema{.op_type = "GlobalMaxPool", .infer = GlobalPoolInfer},
    OpSchema{.op_type = "GlobalAveragePool", .infer = GlobalPoolInfer},
};

}  // namespace

std::span<const OpSchema> PoolSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
