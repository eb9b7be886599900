#include "ops/node_context.h"

namespace missile::ops {

const Tensor* NodeContext::constant_input(size_t i) const {
  if (!has_input(i)) return nullptr;
  const auto& value = graph_.value(node_.inputs[i]);
  return value.constant ? &*value.constant : nullptr;
}

Result<std::vector<int64_t>> NodeContext::ConstantInts(size_t i) const {
  const Tensor* t = constant_input(i);
  if (t == nullptr) {
    return Error(ErrorCode::kUnimplemented,
                 "input {} ('{}') must be a constant (known when the model is loaded) for "
                 "a static plan",
                 i, has_input(i) ? input_name(i) : "");
  }
  return t->ToInt64Vector();
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

}  // namespace missile::ops
