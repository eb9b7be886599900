#include "server/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>

namespace missile::server {

std::string EscapeLabelValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return fmt::format("{}", static_cast<int64_t>(value));
  return fmt::format("{}", value);  // the shortest text that reads back as the same double
}

namespace {

std::string EscapeHelp(std::string_view help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void AppendLabels(std::string& out, const MetricLabels& labels, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{}=\"{}\"", name, EscapeLabelValue(value));
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  out += '}';
}

}  // namespace

void PrometheusWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, type);
}

void PrometheusWriter::Sample(std::string_view name, const MetricLabels& labels, double value) {
  text_ += name;
  AppendLabels(text_, labels);
  text_ += ' ';
  text_ += FormatMetricValue(value);
  text_ += '\n';
}

void PrometheusWriter::Histogram(std::string_view name, const MetricLabels& labels,
                                 const HistogramSample& histogram) {
  const std::string bucket = fmt::format("{}_bucket", name);
  for (size_t i = 0; i < histogram.upper_bounds.size(); ++i) {
    text_ += bucket;
    AppendLabels(text_, labels, "le", FormatMetricValue(histogram.upper_bounds[i]));
    text_ += fmt::format(" {}\n", histogram.cumulative_counts[i]);
  }
  text_ += bucket;
  AppendLabels(text_, labels, "le", "+Inf");
  text_ += fmt::format(" {}\n", histogram.count);
  Sample(fmt::format("{}_sum", name), labels, histogram.sum);
  Sample(fmt::format("{}_count", name), labels, static_cast<double>(histogram.count));
}

}  // namespace missile::server
