// A same-host diagnostic for where a request's time goes between a client and the server: a request carrying
// the header `Missile-Timestamps: 1` gets back `Missile-Timestamps: head=NS body=NS reply=NS`, the server's
// steady clock (CLOCK_MONOTONIC, shared by the processes of one host) when the request's header had been
// parsed, its body read whole, and its response built. `missile bench --timeline` lines them up with its own
// (docs/server.md). Across hosts the clocks do not compare.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace missile::net {

inline constexpr std::string_view kTimestampsHeader = "Missile-Timestamps";

struct ServerTimestamps {
  int64_t head_ns = 0;
  int64_t body_ns = 0;
  int64_t reply_ns = 0;
};

int64_t SteadyNanoseconds(std::chrono::steady_clock::time_point time);
std::string FormatServerTimestamps(const ServerTimestamps& timestamps);
// Null when `value` is not exactly what FormatServerTimestamps writes.
std::optional<ServerTimestamps> ParseServerTimestamps(std::string_view value);

}  // namespace missile::net
