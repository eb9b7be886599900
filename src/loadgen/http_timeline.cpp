#include "loadgen/http_timeline.h"

#include <fmt/format.h>

#include "loadgen/latency_stats.h"

namespace missile::loadgen {

void HttpTimeline::Record(std::chrono::steady_clock::time_point start, const net::HttpResponse& response,
                          const net::ServerTimestamps& server) {
  const int64_t start_ns = net::SteadyNanoseconds(start);
  const auto us = [](int64_t from, int64_t to) { return static_cast<double>(to - from) / 1e3; };
  const std::array<double, kPhases.size()> phases = {
      us(start_ns, net::SteadyNanoseconds(response.sent)),
      us(start_ns, server.head_ns),
      us(server.head_ns, server.body_ns),
      us(server.body_ns, server.reply_ns),
      us(server.reply_ns, net::SteadyNanoseconds(response.received)),
      us(start_ns, net::SteadyNanoseconds(response.received)),
  };
  std::lock_guard lock(mutex_);
  samples_.push_back(phases);
}

nlohmann::json HttpTimeline::Summary() const {
  std::lock_guard lock(mutex_);
  nlohmann::json summary{{"exchanges", samples_.size()}};
  for (size_t phase = 0; phase < kPhases.size(); ++phase) {
    std::vector<double> values;
    values.reserve(samples_.size());
    for (const auto& sample : samples_) values.push_back(sample[phase]);
    const LatencySummary stats = Summarize(std::move(values));
    summary["phases_us"][kPhases[phase]] = {{"p50", stats.p50}, {"p90", stats.p90}, {"mean", stats.mean}};
  }
  return summary;
}

std::string HttpTimeline::Format() const {
  const nlohmann::json summary = Summary();
  std::string text =
      fmt::format("HTTP timeline over {} exchanges (us, p50 / p90):\n", summary["exchanges"].get<size_t>());
  for (const char* phase : kPhases) {
    const nlohmann::json& stats = summary["phases_us"][phase];
    text += fmt::format("  {:16} {:9.1f} / {:9.1f}\n", phase, stats["p50"].get<double>(),
                        stats["p90"].get<double>());
  }
  return text;
}

}  // namespace missile::loadgen
