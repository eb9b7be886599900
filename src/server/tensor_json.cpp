#include "server/tensor_json.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "core/json_fields.h"
#include "server/oip_datatype.h"

namespace missile::server {

using nlohmann::json;

namespace {

// Nested "data" arrays deeper than any tensor's rank are refused before anything recurses through them: a
// body of a few MB of '[' would otherwise exhaust the handler thread's stack.
constexpr int kMaxDataNesting = 32;

Result<int64_t> CountAt(const json& data, std::string_view what, int depth) {
  if (!data.is_array()) {
    if (data.is_number() || data.is_boolean()) return int64_t{1};
    return Error(ErrorCode::kInvalidArgument, "{}: 'data' holds {}, expected numbers or booleans", what,
                 data.is_string() ? "a string" : ShortJson(data));
  }
  if (depth >= kMaxDataNesting) {
    return Error(ErrorCode::kInvalidArgument, "{}: 'data' is nested deeper than {} levels", what,
                 kMaxDataNesting);
  }
  int64_t count = 0;
  for (const json& element : data) {
    if (element.is_array()) {
      MISSILE_ASSIGN_OR_RETURN(int64_t nested, CountAt(element, what, depth + 1));
      count += nested;
    } else {
      ++count;
    }
  }
  return count;
}

}  // namespace

Result<int64_t> CountJsonElements(const json& data, std::string_view what) {
  return CountAt(data, what, 0);
}

namespace {

template <typename T>
Status ConvertScalar(const json& value, T& out, int64_t index, std::string_view what, DataType type) {
  const auto wrong = [&] {
    return Error(ErrorCode::kInvalidArgument, "{}: element {} ({}) is not a valid {} value", what, index,
                 ShortJson(value), OipDatatypeName(type));
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) return wrong();
    out = value.get<bool>();
  } else if constexpr (std::is_same_v<T, Float16>) {
    if (!value.is_number()) return wrong();
    out = FloatToHalf(static_cast<float>(value.get<double>()));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) return wrong();
    out = static_cast<T>(value.get<double>());
  } else {
    if (value.is_number_unsigned()) {
      const uint64_t v = value.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return wrong();
      out = static_cast<T>(v);
    } else if (value.is_number_integer()) {
      const int64_t v = value.get<int64_t>();
      if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
        return wrong();
      }
      out = static_cast<T>(v);
    } else {
      return wrong();
    }
  }
  return Status::Ok();
}

template <typename T>
Status FillRecursive(const json& data, T* out, int64_t& index, int64_t count, std::string_view what,
                     DataType type) {
  if (!data.is_array()) {
    if (index >= count) return Status::Ok();  // counted beforehand; cannot happen
    MISSILE_RETURN_IF_ERROR(ConvertScalar(data, out[index], index, what, type));
    ++index;
    return Status::Ok();
  }
  for (const json& element : data)
    MISSILE_RETURN_IF_ERROR(FillRecursive(element, out, index, count, what, type));
  return Status::Ok();
}

}  // namespace

Status FillTensorFromJson(const json& data, Tensor& tensor, std::string_view what) {
  MISSILE_ASSIGN_OR_RETURN(int64_t count, CountJsonElements(data, what));
  if (count != tensor.num_elements()) {
    return Error(ErrorCode::kInvalidArgument, "{}: 'data' has {} elements, but shape {} needs {}", what,
                 count, ShapeToString(tensor.shape()), tensor.num_elements());
  }
  return VisitDataType(tensor.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    int64_t index = 0;
    return FillRecursive<T>(data, tensor.data<T>(), index, count, what, tensor.dtype());
  });
}

json TensorToJson(const Tensor& tensor) {
  json array = json::array();
  array.get_ref<json::array_t&>().reserve(static_cast<size_t>(tensor.num_elements()));
  VisitDataType(tensor.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = tensor.data<T>();
    for (int64_t i = 0; i < tensor.num_elements(); ++i) {
      if constexpr (std::is_same_v<T, Float16>) {
        array.push_back(HalfToFloat(values[i]));
      } else {
        array.push_back(values[i]);
      }
    }
  });
  return array;
}

}  // namespace missile::server
