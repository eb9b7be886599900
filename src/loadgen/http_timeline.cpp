#include "loadgen/http_timeline.h"

#include <fmt/format.h>

#include "loadgen/latency_stats.h"

namespace missile::loadgen {

bool HttpTimeline::Record(std::chrono::steady_clock::time_point start, const net::HttpResponse& response,
                          const net::ServerTimestamps& server) {
  const auto head = net::TimestampOf(server, "head");
  const auto body = net::TimestampOf(server, "body");
  const auto reply = net::TimestampOf(server, "reply");
  if (!head || !body || !reply) return false;
  const int64_t start_ns = net::SteadyNanoseconds(start);
  const int64_t received_ns = net::SteadyNanoseconds(response.received);
  const auto us = [](int64_t from, int64_t to) { return static_cast<double>(to - from) / 1e3; };
  std::lock_guard lock(mutex_);
  ++exchanges_;
  Add("client_send", us(start_ns, net::SteadyNanoseconds(response.sent)));
  Add("server_header", us(start_ns, *head));
  Add("server_body", us(*head, *body));
  Add("server_handling", us(*body, *reply));
  // The marks between the body and the reply, each from the point before it.
  int64_t previous = *body;
  bool inside = false;
  for (const auto& [name, ns] : server) {
    if (name == "body") {
      inside = true;
      continue;
    }
    if (!inside) continue;
    Add("server_" + name, us(previous, ns));
    previous = ns;
    if (name == "reply") break;
  }
  Add("response_return", us(*reply, received_ns));
  Add("total", us(start_ns, received_ns));
  return true;
}

void HttpTimeline::Add(const std::string& phase, double us) {
  auto [it, added] = samples_.try_emplace(phase);
  if (added) order_.push_back(phase);
  it->second.push_back(us);
}

nlohmann::json HttpTimeline::Summary() const {
  std::lock_guard lock(mutex_);
  nlohmann::json summary{{"exchanges", exchanges_}, {"phases_us", nlohmann::json::object()}};
  for (const std::string& phase : order_) {
    const LatencySummary stats = Summarize(samples_.at(phase));
    summary["phases_us"][phase] = {{"p50", stats.p50}, {"p90", stats.p90}, {"mean", stats.mean}};
  }
  summary["order"] = order_;
  return summary;
}

std::string HttpTimeline::Format() const {
  const nlohmann::json summary = Summary();
  std::string text =
      fmt::format("HTTP timeline over {} exchanges (us, p50 / p90):\n", summary["exchanges"].get<size_t>());
  for (const nlohmann::json& entry : summary["order"]) {
    const std::string phase = entry.get<std::string>();
    const nlohmann::json& stats = summary["phases_us"][phase];
    text += fmt::format("  {:16} {:9.1f} / {:9.1f}\n", phase, stats["p50"].get<double>(),
                        stats["p90"].get<double>());
  }
  return text;
}

}  // namespace missile::loadgen
