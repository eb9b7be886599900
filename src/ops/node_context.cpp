#include "ops/node_context.h"

namespace missile::ops {

const Tensor* NodeContext::constant_input(size_t i) const {
  if (!has_input(i)) return nullptr;
  const auto& value = graph_.value(node_.inputs[i]);
  return value.constant ? &*value.constant : nullptr;
}

Result<const Tensor*> NodeContext::RequireConstant(size_t i) const {
  const Tensor* t = constant_input(i);
  if (t == nullptr) {
    return Error(ErrorCode::kUnimplemented,
                 "input {} ('{}') must be a constant (known when the model is loaded) for "
                 "a static plan",
                 i, has_input(i) ? input_name(i) : "");
  }
  return t;
}

Result<std::vector<int64_t>> NodeContext::ConstantInts(size_t i) const {
  MISSILE_ASSIGN_OR_RETURN(const Tensor* t, RequireConstant(i));
  return t->ToInt64Vector();
}

Result<std::vector<int64_t>> NodeContext::OptionalInts(size_t i, std::vector<int64_t> fallback) const {
  if (!has_input(i)) return fallback;
  return ConstantInts(i);
}

Result<std::vector<double>> NodeContext::ConstantDoubles(size_t i) const {
  MISSILE_ASSIGN_OR_RETURN(const Tensor* t, RequireConstant(i));
  std::vector<double> values(static_cast<size_t>(t->num_elements()));
  ConvertElements(t->dtype(), t->raw_data(), DataType::kFloat64, values.data(), t->num_elements());
  return values;
}

Result<float> NodeContext::ConstantScalar(size_t i) const {
  const Tensor* t = constant_input(i);
  if (t == nullptr || t->num_elements() != 1) {
    return Error(ErrorCode::kUnimplemented, "input {} must be a constant scalar", i);
  }
  float value = 0;
  ConvertElements(t->dtype(), t->raw_data(), DataType::kFloat32, &value, 1);
  return value;
}

Status RequireIndexType(const NodeContext& ctx, size_t i, std::string_view what) {
  const DataType dtype = ctx.input_dtype(i);
  if (dtype != DataType::kInt64 && dtype != DataType::kInt32) {
    return InvalidNode("{} must be int64 or int32, got {}", what, DataTypeName(dtype));
  }
  return Status::Ok();
}

}  // namespace missile::ops
