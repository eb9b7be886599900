// Element types Missile moves and computes with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace missile {

enum class DataType : uint8_t {
  kFloat32,
  kFloat16,
  kFloat64,
  kInt64,
  kInt32,
  kInt8,
  kUInt8,
  kBool,
};

size_t DataTypeSize(DataType type);
std::string_view DataTypeName(
    DataType type);  // "float32", "int64", ...: numpy's spelling, used in every message
Result<DataType> ParseDataType(std::string_view name);
bool IsFloatingPoint(DataType type);

// Half-precision storage type for the CPU side (conversion only; the CPU backend computes in fp32).
struct Float16 {
  uint16_t bits = 0;
};
float HalfToFloat(Float16 h);
Float16 FloatToHalf(float f);

// Converts n elements between any two dtypes with ONNX Cast semantics (float->int truncates, x != 0 -> true).
void ConvertElements(DataType from, const void* src, DataType to, void* dst, int64_t n);

// The C++ type stored for each DataType, for typed dispatch.
template <typename T>
constexpr DataType DataTypeOf();
template <>
constexpr DataType DataTypeOf<float>() {
  return DataType::kFloat32;
}
template <>
constexpr DataType DataTypeOf<Float16>() {
  return DataType::kFloat16;
}
template <>
constexpr DataType DataTypeOf<double>() {
  return DataType::kFloat64;
}
template <>
constexpr DataType DataTypeOf<int64_t>() {
  return DataType::kInt64;
}
template <>
constexpr DataType DataTypeOf<int32_t>() {
  return DataType::kInt32;
}
template <>
constexpr DataType DataTypeOf<int8_t>() {
  return DataType::kInt8;
}
template <>
constexpr DataType DataTypeOf<uint8_t>() {
  return DataType::kUInt8;
}
template <>
constexpr DataType DataTypeOf<bool>() {
  return DataType::kBool;
}

// Calls fn(T{}) with T the C++ type of `type`; the common way to write one kernel for many dtypes.
template <typename Fn>
decltype(auto) VisitDataType(DataType type, Fn&& fn) {
  switch (type) {
    case DataType::kFloat32:
      return fn(float{});
    case DataType::kFloat16:
      return fn(Float16{});
    case DataType::kFloat64:
      return fn(double{});
    case DataType::kInt64:
      return fn(int64_t{});
    case DataType::kInt32:
      return fn(int32_t{});
    case DataType::kInt8:
      return fn(int8_t{});
    case DataType::kUInt8:
      return fn(uint8_t{});
    case DataType::kBool:
      return fn(bool{});
  }
  return fn(float{});
}

}  // namespace missile
