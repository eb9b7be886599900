// Prometheus' text exposition format (version 0.0.4): "# HELP", "# TYPE", then one line per sample, label
// values escaped. A writer that knows the format and nothing about the server; the server decides what to
// write (server_metrics.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace missile::server {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Cumulative bucket counts of a histogram: counts[i] observations <= upper_bounds[i]; count is the +Inf
// bucket.
struct HistogramSample {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> cumulative_counts;
  double sum = 0;
  uint64_t count = 0;
};

class PrometheusWriter {
 public:
  // Starts a metric family; type is "counter", "gauge", "histogram" or "summary".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  // <name>_bucket{...,le="..."} for every bound and +Inf, then <name>_sum and <name>_count.
  void Histogram(std::string_view name, const MetricLabels& labels, const HistogramSample& histogram);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
std::string EscapeLabelValue(std::string_view value);
// Integers without a fraction, others in the shortest form that reads back exactly, "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);

}  // namespace missile::server
