// Line charts as standalone SVG files, for the results pages: latency CDFs and throughput over time. Written
// here rather than through a plotting package so `missile bench` draws its own figures on any machine.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace missile::loadgen {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
};

struct ChartOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;  // x must then be > 0; points at or below 0 are left out
  int width = 860;
  int height = 480;
};

std::string RenderLineChart(const std::vector<ChartSeries>& series, const ChartOptions& options);

// Tick positions: 1-2-5 steps over [low, high] for a linear axis (about `target` of them), powers of ten
// (with 2 and 5 between them when the range spans few decades) for a log axis.
std::vector<double> LinearTicks(double low, double high, int target = 6);
std::vector<double> LogTicks(double low, double high);

// Text for SVG: &, <, > and quotes escaped.
std::string EscapeXml(const std::string& text);

}  // namespace missile::loadgen
