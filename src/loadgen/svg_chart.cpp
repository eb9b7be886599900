#include "loadgen/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace missile::loadgen {

std::string EscapeXml(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::vector<double> LinearTicks(double low, double high, int target) {
  if (!(high > low)) return {low};
  const double raw = (high - low) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::vector<double> LogTicks(double low, double high) {
  std::vector<double> ticks;
  if (!(low > 0) || !(high > low)) return ticks;
  const int first = static_cast<int>(std::floor(std::log10(low)));
  const int last = static_cast<int>(std::ceil(std::log10(high)));
  const bool fine = last - first <= 3;
  for (int e = first; e <= last; ++e) {
    for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double t = m * std::pow(10.0, e);
      if (t >= low * (1 - 1e-9) && t <= high * (1 + 1e-9)) ticks.push_back(t);
    }
  }
  return ticks;
}

namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string TickLabel(double value) {
  if (value != 0 && (std::fabs(value) >= 1e5 || std::fabs(value) < 1e-3)) return fmt::format("{:.0e}", value);
  return fmt::format("{:g}", value);
}

}  // namespace

std::string RenderLineChart(const std::vector<ChartSeries>& series, const ChartOptions& options) {
  const double left = 70, right = 190, top = 40, bottom = 55;  // margins: the legend sits on the right
  const double plot_w = options.width - left - right;
  const double plot_h = options.height - top - bottom;

  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = 0, y_max = -std::numeric_limits<double>::infinity();
  for (const ChartSeries& s : series) {
    for (const auto& [x, y] : s.points) {
      if (options.log_x && !(x > 0)) continue;
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_min = std::min(y_min, y);
      y_max = std::max(y_max, y);
    }
  }
  if (!std::isfinite(x_min)) x_min = options.log_x ? 1 : 0, x_max = x_min + 1;
  if (!std::isfinite(y_max) || y_max <= y_min) y_max = y_min + 1;
  if (x_max <= x_min) x_max = options.log_x ? x_min * 10 : x_min + 1;
  if (options.log_x) {
    x_min = std::pow(10.0, std::floor(std::log10(x_min) * 4) / 4);  // a little room on both sides
    x_max = std::pow(10.0, std::ceil(std::log10(x_max) * 4) / 4);
  }
  const std::vector<double> y_ticks = LinearTicks(y_min, y_max);
  y_max = std::max(y_max, y_ticks.back());

  const auto sx = [&](double x) {
    const double f = options.log_x
                         ? (std::log10(x) - std::log10(x_min)) / (std::log10(x_max) - std::log10(x_min))
                         : (x - x_min) / (x_max - x_min);
    return left + f * plot_w;
  };
  const auto sy = [&](double y) { return top + plot_h - (y - y_min) / (y_max - y_min) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      options.width, options.height);
  svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
                     left + plot_w / 2, EscapeXml(options.title));
  // Grid and ticks.
  for (double t : y_ticks) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, sy(t), left + plot_w, left - 6, sy(t) + 4, TickLabel(t));
  }
  const std::vector<double> x_ticks = options.log_x ? LogTicks(x_min, x_max) : LinearTicks(x_min, x_max);
  for (double t : x_ticks) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        sx(t), top, top + plot_h, top + plot_h + 18, TickLabel(t));
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n",
                     left, top, plot_w, plot_h);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", left + plot_w / 2,
                     options.height - 12.0, EscapeXml(options.x_label));
  svg += fmt::format(
      "<text x=\"16\" y=\"{0:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0:.1f})\">{1}</text>\n",
      top + plot_h / 2, EscapeXml(options.y_label));
  // Series and legend.
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % std::size(kColors)];
    std::string points;
    for (const auto& [x, y] : series[i].points) {
      if (options.log_x && !(x > 0)) continue;
      points += fmt::format("{:.1f},{:.1f} ", sx(x), sy(y));
    }
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\" points=\"{}\"/>\n", color,
                       points);
    const double ly = top + 10 + 18.0 * static_cast<double>(i);
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"3\"/>"
        "<text x=\"{4:.1f}\" y=\"{5:.1f}\">{6}</text>\n",
        left + plot_w + 12, ly, left + plot_w + 32, color, left + plot_w + 38, ly + 4,
        EscapeXml(series[i].name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace missile::loadgen
