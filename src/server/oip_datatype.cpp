#include "server/oip_datatype.h"

#include <utility>

#include "core/shape.h"

namespace missile::server {
namespace {

constexpr std::pair<DataType, const char*> kDatatypes[] = {
    {DataType::kBool, "BOOL"},    {DataType::kUInt8, "UINT8"},  {DataType::kInt8, "INT8"},
    {DataType::kInt32, "INT32"},  {DataType::kInt64, "INT64"},  {DataType::kFloat16, "FP16"},
    {DataType::kFloat32, "FP32"}, {DataType::kFloat64, "FP64"},
};

}  // namespace

Result<DataType> ParseOipDatatype(std::string_view name) {
  for (const auto& [type, type_name] : kDatatypes) {
    if (name == type_name) return type;
  }
  if (name == "BYTES") return Error(ErrorCode::kUnimplemented, "BYTES (string) tensors are not supported");
  if (name == "UINT16" || name == "UINT32" || name == "UINT64" || name == "INT16" || name == "BF16") {
    return Error(ErrorCode::kUnimplemented, "datatype {} is not supported by Missile", name);
  }
  return Error(ErrorCode::kInvalidArgument,
               "unknown datatype '{}' (BOOL, UINT8, INT8, INT32, INT64, FP16, FP32, FP64)", name);
}

const char* OipDatatypeName(DataType type) {
  for (const auto& [t, name] : kDatatypes) {
    if (t == type) return name;
  }
  return "UNKNOWN";
}

uint64_t TensorByteSize(DataType dtype, std::span<const int64_t> shape) {
  return static_cast<uint64_t>(NumElements(shape)) * DataTypeSize(dtype);
}

}  // namespace missile::server
