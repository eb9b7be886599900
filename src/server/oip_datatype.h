// Tensor element types as the Open Inference Protocol spells them ("FP32", "INT64", ...).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/dtype.h"

namespace missile::server {

// kInvalidArgument for names the protocol does not define, kUnimplemented for BYTES (string tensors), which
// no Missile model takes.
Result<DataType> ParseOipDatatype(std::string_view name);
const char* OipDatatypeName(DataType type);

// Bytes a tensor of `dtype` and `shape` (every dimension >= 0) takes on the wire or in a shared-memory
// region: what binary_data_size and shared_memory_byte_size must say.
uint64_t TensorByteSize(DataType dtype, std::span<const int64_t> shape);

}  // namespace missile::server
