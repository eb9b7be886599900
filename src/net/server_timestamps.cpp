#include "net/server_timestamps.h"

#include <fmt/format.h>

#include <charconv>

namespace missile::net {

int64_t SteadyNanoseconds(std::chrono::steady_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

std::string FormatServerTimestamps(const ServerTimestamps& timestamps) {
  return fmt::format("head={} body={} reply={}", timestamps.head_ns, timestamps.body_ns, timestamps.reply_ns);
}

std::optional<ServerTimestamps> ParseServerTimestamps(std::string_view value) {
  ServerTimestamps timestamps;
  const std::pair<std::string_view, int64_t*> fields[] = {
      {"head=", &timestamps.head_ns}, {"body=", &timestamps.body_ns}, {"reply=", &timestamps.reply_ns}};
  for (size_t i = 0; i < std::size(fields); ++i) {
    const auto& [key, target] = fields[i];
    if (i > 0) {
      if (value.empty() || value.front() != ' ') return std::nullopt;
      value.remove_prefix(1);
    }
    if (value.substr(0, key.size()) != key) return std::nullopt;
    value.remove_prefix(key.size());
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), *target);
    if (parsed.ec != std::errc() || parsed.ptr == value.data()) return std::nullopt;
    value.remove_prefix(static_cast<size_t>(parsed.ptr - value.data()));
  }
  if (!value.empty()) return std::nullopt;
  return timestamps;
}

}  // namespace missile::net
