#include "core/json_fields.h"

#include <algorithm>

namespace missile {

using nlohmann::json;

Result<json> ParseJson(std::string_view text, std::string_view what) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    // nlohmann's message starts with "[json.exception.parse_error.101] "; the id means nothing to users.
    std::string message = error.what();
    const size_t bracket = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
      message.erase(0, bracket + 2);
    return Error(ErrorCode::kInvalidArgument, "{} is not valid JSON: {}", what, message);
  }
}

std::string JsonPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string JsonPath(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

const char* JsonTypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "binary";
  }
}

std::string ShortJson(const json& value) {
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return value.dump();
}

Status CheckObject(const json& value, std::string_view path,
                   std::initializer_list<std::string_view> allowed) {
  const std::string where = path.empty() ? std::string("the document") : std::string(path);
  if (!value.is_object()) {
    return Error(ErrorCode::kInvalidArgument, "{}: expected an object, got {}", where, JsonTypeName(value));
  }
  for (const auto& [key, _] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (std::string_view k : allowed) known += fmt::format("{}'{}'", known.empty() ? "" : ", ", k);
      return Error(ErrorCode::kInvalidArgument, "{}: unknown key '{}' (known: {})", where, key, known);
    }
  }
  return Status::Ok();
}

namespace {

// The field, null when absent; an error when required and absent.
Result<const json*> Field(const json& object, std::string_view path, std::string_view key, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) return Error(ErrorCode::kInvalidArgument, "{}: required", JsonPath(path, key));
    return static_cast<const json*>(nullptr);
  }
  return &*it;
}

Status WrongType(std::string_view path, std::string_view key, const char* expected, const json& got) {
  return Error(ErrorCode::kInvalidArgument, "{}: expected {}, got {}", JsonPath(path, key), expected,
               JsonTypeName(got));
}

}  // namespace

Result<std::optional<std::string>> ReadString(const json& object, std::string_view path, std::string_view key,
                                              bool required) {
  MISSILE_ASSIGN_OR_RETURN(const json* field, Field(object, path, key, required));
  if (field == nullptr) return std::optional<std::string>();
  if (!field->is_string()) return WrongType(path, key, "a string", *field);
  return std::optional<std::string>(field->get<std::string>());
}

Result<std::optional<int64_t>> ReadInteger(const json& object, std::string_view path, std::string_view key,
                                           bool required) {
  MISSILE_ASSIGN_OR_RETURN(const json* field, Field(object, path, key, required));
  if (field == nullptr) return std::optional<int64_t>();
  if (field->is_number_unsigned() && field->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Error(ErrorCode::kInvalidArgument, "{}: {} is too large", JsonPath(path, key), field->dump());
  }
  if (!field->is_number_integer()) return WrongType(path, key, "an integer", *field);
  return std::optional<int64_t>(field->get<int64_t>());
}

Result<std::optional<double>> ReadNumber(const json& object, std::string_view path, std::string_view key,
                                         bool required) {
  MISSILE_ASSIGN_OR_RETURN(const json* field, Field(object, path, key, required));
  if (field == nullptr) return std::optional<double>();
  if (!field->is_number()) return WrongType(path, key, "a number", *field);
  return std::optional<double>(field->get<double>());
}

Result<std::optional<bool>> ReadBool(const json& object, std::string_view path, std::string_view key,
                                     bool required) {
  MISSILE_ASSIGN_OR_RETURN(const json* field, Field(object, path, key, required));
  if (field == nullptr) return std::optional<bool>();
  if (!field->is_boolean()) return WrongType(path, key, "true or false", *field);
  return std::optional<bool>(field->get<bool>());
}

Result<std::string> RequireString(const json& object, std::string_view path, std::string_view key) {
  MISSILE_ASSIGN_OR_RETURN(std::optional<std::string> value, ReadString(object, path, key, true));
  return std::move(value).value_or(std::string());
}

Result<int64_t> RequireInteger(const json& object, std::string_view path, std::string_view key) {
  MISSILE_ASSIGN_OR_RETURN(std::optional<int64_t> value, ReadInteger(object, path, key, true));
  return value.value_or(0);
}

Result<double> RequireNumber(const json& object, std::string_view path, std::string_view key) {
  MISSILE_ASSIGN_OR_RETURN(std::optional<double> value, ReadNumber(object, path, key, true));
  return value.value_or(0.0);
}

}  // namespace missile
