#include "server/byte_size.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "core/json_fields.h"

namespace missile::server {

namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

Result<double> UnitFactor(std::string_view unit) {
  const std::string u = Lower(unit);
  if (u.empty() || u == "b") return 1.0;
  static constexpr std::pair<const char*, double> kUnits[] = {
      {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0},
      {"kb", 1e3},     {"mb", 1e6},        {"gb", 1e9},           {"tb", 1e12},
  };
  for (const auto& [name, factor] : kUnits) {
    if (u == name) return factor;
  }
  return Error(ErrorCode::kInvalidArgument, "unknown unit '{}' (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
               unit);
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size() && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  size_t end = text.size();
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  const std::string_view trimmed = text.substr(begin, end - begin);

  size_t number_end = 0;
  while (number_end < trimmed.size() &&
         (std::isdigit(static_cast<unsigned char>(trimmed[number_end])) || trimmed[number_end] == '.')) {
    ++number_end;
  }
  if (number_end == 0) {
    return Error(ErrorCode::kInvalidArgument, "'{}' is not a byte size (e.g. 1048576, \"64MiB\", \"2GB\")",
                 text);
  }
  double number = 0;
  const auto parsed = std::from_chars(trimmed.data(), trimmed.data() + number_end, number);
  if (parsed.ec != std::errc() || parsed.ptr != trimmed.data() + number_end) {
    return Error(ErrorCode::kInvalidArgument, "'{}' is not a byte size (bad number)", text);
  }
  std::string_view unit = trimmed.substr(number_end);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.remove_prefix(1);
  auto factor = UnitFactor(unit);
  if (!factor.ok()) return factor.status().WithContext(fmt::format("'{}'", text));
  const double bytes = number * *factor;
  if (bytes >= 18446744073709551615.0) return Error(ErrorCode::kInvalidArgument, "'{}' is too large", text);
  if (bytes != std::floor(bytes)) {
    return Error(ErrorCode::kInvalidArgument, "'{}' is not a whole number of bytes", text);
  }
  return static_cast<uint64_t>(bytes);
}

Result<uint64_t> ByteSizeFromJson(const nlohmann::json& value, std::string_view path) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    return Error(ErrorCode::kInvalidArgument, "{}: a byte size cannot be negative", path);
  }
  if (value.is_string()) {
    auto bytes = ParseByteSize(value.get<std::string>());
    if (!bytes.ok()) return bytes.status().WithContext(std::string(path));
    return bytes;
  }
  return Error(ErrorCode::kInvalidArgument,
               "{}: expected a byte size (a number or a string like \"64MiB\"), got {}", path,
               JsonTypeName(value));
}

}  // namespace missile::server
