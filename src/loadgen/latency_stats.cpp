#include "loadgen/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace missile::loadgen {

double NearestRank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t index = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[index];
}

LatencySummary Summarize(std::vector<double> values) {
  LatencySummary summary;
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  summary.count = values.size();
  summary.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  summary.min = values.front();
  summary.p50 = NearestRank(values, 0.50);
  summary.p90 = NearestRank(values, 0.90);
  summary.p99 = NearestRank(values, 0.99);
  summary.p999 = NearestRank(values, 0.999);
  summary.max = values.back();
  return summary;
}

std::vector<std::pair<double, double>> CdfPoints(std::vector<double> values, size_t max_points) {
  std::vector<std::pair<double, double>> points;
  if (values.empty() || max_points < 2) return points;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  // Quantiles to draw: half the budget uniform over (0, 0.9], the rest split over the tail decades.
  std::vector<double> quantiles{1.0 / n};  // the minimum
  const size_t body = max_points / 2;
  for (size_t i = 1; i <= body; ++i)
    quantiles.push_back(0.9 * static_cast<double>(i) / static_cast<double>(body));
  const size_t decades = 4;  // 0.9-0.99, 0.99-0.999, 0.999-0.9999, 0.9999-1
  const size_t per_decade = std::max<size_t>(1, (max_points - body) / decades);
  double low = 0.9;
  for (size_t d = 0; d < decades; ++d) {
    const double high = 1.0 - (1.0 - low) / 10.0;
    for (size_t i = 1; i <= per_decade; ++i) {
      quantiles.push_back(d + 1 == decades && i == per_decade ? 1.0
                                                              : low + (high - low) * static_cast<double>(i) /
                                                                          static_cast<double>(per_decade));
    }
    low = high;
  }
  double last_fraction = -1;
  for (double q : quantiles) {
    const double value = NearestRank(values, q);
    // The fraction actually at or below the value (ties make it larger than q).
    const double fraction =
        static_cast<double>(std::upper_bound(values.begin(), values.end(), value) - values.begin()) / n;
    if (fraction <= last_fraction) continue;
    points.emplace_back(value, fraction);
    last_fraction = fraction;
  }
  return points;
}

}  // namespace missile::loadgen
