// Schemas of elementwise operators: unary maps, broadcasting binary/variadic/ternary ops, Cast, and the two
// identity-like views.
#include "ops/activation.h"
#include "ops/op_schema.h"

namespace missile::ops {
namespace {

Result<std::vector<TensorSpec>> SameAsInput(const NodeContext& ctx) {
  return std::vector{ctx.input(0)};
}

Result<std::vector<TensorSpec>> FloatUnary(const NodeContext& ctx) {
  if (!IsFloatingPoint(ctx.input_dtype(0))) {
    return InvalidNode("input must be floating point, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  return std::vector{ctx.input(0)};
}

Result<std::vector<TensorSpec>> GeluInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(GeluFromAttributes(ctx.attributes()).status());
  return FloatUnary(ctx);
}

Result<std::vector<TensorSpec>> BoolUnary(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kBool) {
    return InvalidNode("input must be bool, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  return std::vector{ctx.input(0)};
}

// Broadcast shape of the given inputs, which must share one dtype (except where the caller says otherwise).
Result<Shape> BroadcastInputs(const NodeContext& ctx, size_t first, size_t count) {
  Shape shape = ctx.input_shape(first);
  for (size_t i = first + 1; i < first + count; ++i) {
    MISSILE_ASSIGN_OR_RETURN(shape, BroadcastShapes(shape, ctx.input_shape(i)));
  }
  return shape;
}

Status SameDtypes(const NodeContext& ctx, size_t first, size_t count) {
  for (size_t i = first + 1; i < first + count; ++i) {
    if (ctx.input_dtype(i) != ctx.input_dtype(first)) {
      return InvalidNode("inputs {} and {} have different dtypes ({} vs {})", first, i,
                         DataTypeName(ctx.input_dtype(first)), DataTypeName(ctx.input_dtype(i)));
    }
  }
  return Status::Ok();
}

Result<std::vector<TensorSpec>> Arithmetic(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(SameDtypes(ctx, 0, ctx.input_count()));
  MISSILE_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0, ctx.input_count()));
  return std::vector{TensorSpec{ctx.input_dtype(0), shape}};
}

Result<std::vector<TensorSpec>> PowInfer(const NodeContext& ctx) {
  // The exponent may have another numeric dtype; the result takes the base's.
  MISSILE_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0, 2));
  return std::vector{TensorSpec{ctx.input_dtype(0), shape}};
}

Result<std::vector<TensorSpec>> Comparison(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(SameDtypes(ctx, 0, 2));
  MISSILE_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0, 2));
  return std::vector{TensorSpec{DataType::kBool, shape}};
}

Result<std::vector<TensorSpec>> Logical(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kBool || ctx.input_dtype(1) != DataType::kBool) {
    return InvalidNode("inputs must be bool");
  }
  return Comparison(ctx);
}

Result<std::vector<TensorSpec>> WhereInfer(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kBool) {
    return InvalidNode("condition must be bool, got {}", DataTypeName(ctx.input_dtype(0)));
  }
  MISSILE_RETURN_IF_ERROR(SameDtypes(ctx, 1, 2));
  MISSILE_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(ctx, 0, 3));
  return std::vector{TensorSpec{ctx.input_dtype(1), shape}};
}

Result<std::vector<TensorSpec>> CastInfer(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(int64_t to, ctx.attributes().Int("to"));
  // ONNX TensorProto.DataType numbering.
  DataType dtype;
  switch (to) {
    case 1:
      dtype = DataType::kFloat32;
      break;
    case 2:
      dtype = DataType::kUInt8;
      break;
    case 3:
      dtype = DataType::kInt8;
      break;
    case 6:
      dtype = DataType::kInt32;
      break;
    case 7:
      dtype = DataType::kInt64;
      break;
    case 9:
      dtype = DataType::kBool;
      break;
    case 10:
      dtype = DataType::kFloat16;
      break;
    case 11:
      dtype = DataType::kFloat64;
      break;
    default:
      return Error(ErrorCode::kUnimplemented, "Cast to ONNX type {} is not supported", to);
  }
  return std::vector{TensorSpec{dtype, ctx.input_shape(0)}};
}

Result<std::vector<TensorSpec>> ClipInfer(const NodeContext& ctx) {
  for (size_t i = 1; i < 3; ++i) {
    if (ctx.has_input(i) && ctx.constant_input(i) == nullptr) {
      return Error(ErrorCode::kUnimplemented, "Clip bounds must be constants");
    }
  }
  return std::vector{ctx.input(0)};
}

constexpr OpSchema Unary(std::string_view op, Result<std::vector<TensorSpec>> (*infer)(const NodeContext&)) {
  return OpSchema{.op_type = op, .min_inputs = 1, .max_inputs = 1, .infer = infer};
}
constexpr OpSchema Binary(std::string_view op, Result<std::vector<TensorSpec>> (*infer)(const NodeContext&)) {
  return OpSchema{.op_type = op, .min_inputs = 2, .max_inputs = 2, .infer = infer};
}

constexpr OpSchema kSchemas[] = {
    Unary("Relu", SameAsInput),
    Unary("Neg", SameAsInput),
    Unary("Abs", SameAsInput),
    Unary("Sigmoid", FloatUnary),
    Unary("Tanh", FloatUnary),
    Unary("Erf", FloatUnary),
    Unary("Sqrt", FloatUnary),
    Unary("Exp", FloatUnary),
    Unary("Log", FloatUnary),
    Unary("Reciprocal", FloatUnary),
    Unary("Floor", FloatUnary),
    Unary("Ceil", FloatUnary),
    Unary("Sin", FloatUnary),
    Unary("Cos", FloatUnary),
    Unary("Softplus", FloatUnary),
    Unary("HardSwish", FloatUnary),
    Unary("Gelu", GeluInfer),
    Unary("HardSigmoid", FloatUnary),
    Unary("LeakyRelu", FloatUnary),
    Unary("Elu", FloatUnary),
    Unary("Not", BoolUnary),
    Unary("Cast", CastInfer),
    OpSchema{.op_type = "Clip", .min_inputs = 1, .max_inputs = 3, .infer = ClipInfer},
    OpSchema{.op_type = "Identity", .infer = SameAsInput, .is_view = true},
    OpSchema{.op_type = "Dropout", .min_inputs = 1, .max_inputs = 3, .infer = SameAsInput, .is_view = true},
    Binary("Add", Arithmetic),
    Binary("Sub", Arithmetic),
    Binary("Mul", Arithmetic),
    Binary("Div", Arithmetic),
    Binary("Mod", Arithmetic),
    Binary("Pow", PowInfer),
    Binary("Equal", Comparison),
    Binary("Less", Comparison),
    Binary("LessOrEqual", Comparison),
    Binary("Greater", Comparison),
    Binary("GreaterOrEqual", Comparison),
    Binary("And", Logical),
    Binary("Or", Logical),
    Binary("Xor", Logical),
    OpSchema{.op_type = "Max", .min_inputs = 1, .max_inputs = 64, .infer = Arithmetic},
    OpSchema{.op_type = "Min", .min_inputs = 1, .max_inputs = 64, .infer = Arithmetic},
    OpSchema{.op_type = "Sum", .min_inputs = 1, .max_inputs = 64, .infer = Arithmetic},
    OpSchema{.op_type = "Mean", .min_inputs = 1, .max_inputs = 64, .infer = Arithmetic},
    OpSchema{.op_type = "Where", .min_inputs = 3, .max_inputs = 3, .infer = WhereInfer},
};

}  // namespace

std::span<const OpSchema> ElementwiseSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
