// Typed access to the fields of JSON configuration and request objects, with errors that name the field by
// its path ("tenants[1].vram_quota: expected a string or a number"), so a user can find the mistake in their
// file. Unknown keys are refused by CheckKeys: a misspelt option must not be silently ignored.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace missile {

// Parses text as JSON; kInvalidArgument with the parser's position and reason otherwise. `what` names the
// document in the message ("config file 'x.json'", "request body").
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what);

// "tenants" + 1 -> "tenants[1]"; "" + "name" -> "name"; "a" + "name" -> "a.name".
std::string JsonPath(std::string_view parent, std::string_view key);
std::string JsonPath(std::string_view parent, size_t index);

// kInvalidArgument unless `value` is an object whose keys are all in `allowed`.
Status CheckObject(const nlohmann::json& value, std::string_view path,
                   std::initializer_list<std::string_view> allowed);

// Field readers: absent fields give std::nullopt (or an error when `required`); present fields of the wrong
// type give kInvalidArgument naming the path and the expected type.
Result<std::optional<std::string>> ReadString(const nlohmann::json& object, std::string_view path,
                                              std::string_view key, bool required = false);
Result<std::optional<int64_t>> ReadInteger(const nlohmann::json& object, std::string_view path,
                                           std::string_view key, bool required = false);
Result<std::optional<double>> ReadNumber(const nlohmann::json& object, std::string_view path,
                                         std::string_view key, bool required = false);
Result<std::optional<bool>> ReadBool(const nlohmann::json& object, std::string_view path,
                                     std::string_view key, bool required = false);

// Readers of required fields: kInvalidArgument "<path>.<key>: required" when absent.
Result<std::string> RequireString(const nlohmann::json& object, std::string_view path, std::string_view key);
Result<int64_t> RequireInteger(const nlohmann::json& object, std::string_view path, std::string_view key);
Result<double> RequireNumber(const nlohmann::json& object, std::string_view path, std::string_view key);

// A value for an error message: scalars as written, containers by their type ("an array"), so that quoting a
// client's value can never recurse through (or print) a huge nested document.
std::string ShortJson(const nlohmann::json& value);

// The JSON type as users know it ("string", "number", "object"...), for messages.
const char* JsonTypeName(const nlohmann::json& value);

}  // namespace missile
