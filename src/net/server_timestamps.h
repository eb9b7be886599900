// A same-host diagnostic for where a request's time goes between a client and the server: a request carrying
// the header `Missile-Timestamps: 1` gets back `Missile-Timestamps: head=NS body=NS ... reply=NS`, the
// server's steady clock (CLOCK_MONOTONIC, shared by the processes of one host) at named points, in order: the
// request's header parsed (`head`), its body read whole (`body`), any marks the handler set on the way (the
// inference route's `decoded`, `ran`, `encoded`), and its response built (`reply`). `missile bench
// --timeline` lines them up with its own clock (docs/server.md). Across hosts the clocks do not compare.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace missile::net {

inline constexpr std::string_view kTimestampsHeader = "Missile-Timestamps";

// Named points in time, in the order they happened.
using ServerTimestamps = std::vector<std::pair<std::string, int64_t>>;

// The points a request's handler marks on its way, kept without allocating (every request marks them, few
// ask to see them): names are string literals, at most kCapacity points; further ones are dropped.
class HandlerMarks {
 public:
  static constexpr size_t kCapacity = 4;
  void Mark(std::string_view literal_name, int64_t ns) {
    if (count_ < kCapacity) points_[count_++] = {literal_name, ns};
  }
  void AppendTo(ServerTimestamps& timestamps) const {
    for (size_t i = 0; i < count_; ++i)
      timestamps.emplace_back(std::string(points_[i].first), points_[i].second);
  }

 private:
  std::array<std::pair<std::string_view, int64_t>, kCapacity> points_{};
  size_t count_ = 0;
};

int64_t SteadyNanoseconds(std::chrono::steady_clock::time_point time);
inline int64_t SteadyNanosecondsNow() {
  return SteadyNanoseconds(std::chrono::steady_clock::now());
}
std::string FormatServerTimestamps(const ServerTimestamps& timestamps);
// Null unless `value` is what FormatServerTimestamps writes: name=NS fields (names of letters and '_')
// separated by single spaces, at least one.
std::optional<ServerTimestamps> ParseServerTimestamps(std::string_view value);
// The time of the named point; null when absent.
std::optional<int64_t> TimestampOf(const ServerTimestamps& timestamps, std::string_view name);

}  // namespace missile::net
