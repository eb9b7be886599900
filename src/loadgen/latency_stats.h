// Exact latency statistics over every recorded sample (a load-generator run keeps them all: at most a few
// hundred thousand doubles), so the tail percentiles reported are not approximations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace missile::loadgen {

struct LatencySummary {
  uint64_t count = 0;
  double mean = 0;
  double min = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
};

// Nearest-rank percentile of sorted values: the smallest value with at least a fraction q of the values at
// or below it. q in (0, 1]; 0 for no values.
double NearestRank(const std::vector<double>& sorted, double q);

// Summary of the values, in their unit. Sorts a copy.
LatencySummary Summarize(std::vector<double> values);

// Points (value, fraction of values <= value) of the empirical CDF, at most max_points of them, denser in the
// tail so that the p99.9 region is drawn: the quantile grid is uniform up to 0.9, then refines by tenfold
// steps (0.9..0.99, 0.99..0.999, ...).
std::vector<std::pair<double, double>> CdfPoints(std::vector<double> values, size_t max_points = 400);

}  // namespace missile::loadgen
