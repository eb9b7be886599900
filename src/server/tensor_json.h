// Tensor contents as Open Inference Protocol JSON: the "data" array of an input or output, row-major, flat or
// nested (the protocol allows both on input; Missile writes flat arrays).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/tensor.h"

namespace missile::server {

// Number of scalars in a flat or nested array; kInvalidArgument naming `what` when an element is neither a
// scalar nor an array.
Result<int64_t> CountJsonElements(const nlohmann::json& data, std::string_view what);

// Fills `tensor` (already shaped) from `data`, which must hold exactly tensor.num_elements() scalars of the
// right kind: numbers for floating-point types, integers within range for integer types, true/false for BOOL.
Status FillTensorFromJson(const nlohmann::json& data, Tensor& tensor, std::string_view what);

// A flat array of the tensor's values. Non-finite floats have no JSON spelling and become null; clients that
// need them exactly ask for binary outputs.
nlohmann::json TensorToJson(const Tensor& tensor);

}  // namespace missile::server
