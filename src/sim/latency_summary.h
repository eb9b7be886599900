// Exact percentiles of a run's request latencies (a simulated run keeps every sample: thousands, not
// billions), nearest-rank: the smallest sample that at least a fraction q of the samples do not exceed.
#pragma once

#include <cstddef>
#include <vector>

namespace missile::sim {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

LatencySummary Summarize(std::vector<double> latencies_ms);
// Nearest-rank percentile of sorted samples; 0 when empty. q in [0, 1].
double NearestRankPercentile(const std::vector<double>& sorted, double q);

}  // namespace missile::sim
