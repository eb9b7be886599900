#include "sim/latency_summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace missile::sim {

double NearestRankPercentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size()));
  const size_t index = static_cast<size_t>(std::max(rank, 1.0)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<double> latencies_ms) {
  LatencySummary summary;
  summary.count = latencies_ms.size();
  if (latencies_ms.empty()) return summary;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  summary.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) / latencies_ms.size();
  summary.p50_ms = NearestRankPercentile(latencies_ms, 0.50);
  summary.p99_ms = NearestRankPercentile(latencies_ms, 0.99);
  summary.p999_ms = NearestRankPercentile(latencies_ms, 0.999);
  summary.max_ms = latencies_ms.back();
  return summary;
}

}  // namespace missile::sim
