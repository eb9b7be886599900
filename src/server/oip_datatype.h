// Tensor element types as the Open Inference Protocol spells them ("FP32", "INT64", ...).
#pragma once

#include <string_view>

#include "core/dtype.h"

namespace missile::server {

// kInvalidArgument for names the protocol does not define, kUnimplemented for BYTES (string tensors), which
// no Missile model takes.
Result<DataType> ParseOipDatatype(std::string_view name);
const char* OipDatatypeName(DataType type);

}  // namespace missile::server
