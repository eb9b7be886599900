#include "net/server_timestamps.h"

#include <fmt/format.h>

#include <charconv>

namespace missile::net {

int64_t SteadyNanoseconds(std::chrono::steady_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

std::string FormatServerTimestamps(const ServerTimestamps& timestamps) {
  std::string value;
  for (const auto& [name, ns] : timestamps) {
    if (!value.empty()) value += ' ';
    value += fmt::format("{}={}", name, ns);
  }
  return value;
}

std::optional<ServerTimestamps> ParseServerTimestamps(std::string_view value) {
  ServerTimestamps timestamps;
  while (!value.empty()) {
    if (!timestamps.empty()) {
      if (value.front() != ' ') return std::nullopt;
      value.remove_prefix(1);
    }
    const size_t equals = value.find('=');
    if (equals == 0 || equals == std::string_view::npos) return std::nullopt;
    const std::string_view name = value.substr(0, equals);
    for (char c : name) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return std::nullopt;
    }
    value.remove_prefix(equals + 1);
    int64_t ns = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), ns);
    if (parsed.ec != std::errc() || parsed.ptr == value.data()) return std::nullopt;
    value.remove_prefix(static_cast<size_t>(parsed.ptr - value.data()));
    timestamps.emplace_back(std::string(name), ns);
  }
  if (timestamps.empty()) return std::nullopt;
  return timestamps;
}

std::optional<int64_t> TimestampOf(const ServerTimestamps& timestamps, std::string_view name) {
  for (const auto& [key, ns] : timestamps) {
    if (key == name) return ns;
  }
  return std::nullopt;
}

}  // namespace missile::net
