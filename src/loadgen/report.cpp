#include "loadgen/report.h"

#include <cmath>
#include <fstream>

#include "loadgen/svg_chart.h"

namespace missile::loadgen {

using nlohmann::json;

uint64_t RunReport::total_failed() const {
  uint64_t failed = 0;
  for (const StreamReport& stream : streams) failed += stream.failed;
  return failed;
}

RunReport BuildReport(const RunOutcome& outcome) {
  RunReport report;
  report.target = outcome.target;
  report.duration_s = outcome.duration_s;
  report.warmup_s = outcome.warmup_s;
  report.wall_s = outcome.wall_s;
  const double window_s = outcome.duration_s - outcome.warmup_s;
  for (const StreamOutcome& stream : outcome.streams) {
    StreamReport out;
    out.name = stream.spec.name;
    out.model = stream.spec.model;
    out.pattern = stream.spec.pattern.Describe();
    out.error_examples = stream.error_examples;
    std::vector<double> latencies_ms;
    const size_t bins =
        static_cast<size_t>(std::ceil(std::max(outcome.wall_s, outcome.duration_s) / out.bin_s));
    out.completions_per_s.assign(std::max<size_t>(bins, 1), 0.0);
    for (const Sample& sample : stream.samples) {
      if (sample.error.empty()) {
        const size_t bin = std::min(out.completions_per_s.size() - 1,
                                    static_cast<size_t>((sample.start_s + sample.latency_s) / out.bin_s));
        out.completions_per_s[bin] += 1.0 / out.bin_s;
      }
      if (sample.start_s < outcome.warmup_s) continue;
      ++out.requests;
      if (sample.error.empty()) {
        ++out.ok;
        latencies_ms.push_back(sample.latency_s * 1e3);
      } else {
        ++out.failed;
        ++out.errors[sample.error];
      }
    }
    out.throughput_rps = window_s > 0 ? static_cast<double>(out.ok) / window_s : 0;
    out.cdf_ms = CdfPoints(latencies_ms);
    out.latency_ms = Summarize(std::move(latencies_ms));
    report.streams.push_back(std::move(out));
  }
  return report;
}

json ReportToJson(const RunReport& report) {
  json streams = json::array();
  for (const StreamReport& s : report.streams) {
    streams.push_back({{"name", s.name},
                       {"model", s.model},
                       {"pattern", s.pattern},
                       {"requests", s.requests},
                       {"ok", s.ok},
                       {"failed", s.failed},
                       {"errors", s.errors},
                       {"error_examples", s.error_examples},
                       {"throughput_rps", s.throughput_rps},
                       {"latency_ms",
                        {{"count", s.latency_ms.count},
                         {"mean", s.latency_ms.mean},
                         {"min", s.latency_ms.min},
                         {"p50", s.latency_ms.p50},
                         {"p90", s.latency_ms.p90},
                         {"p99", s.latency_ms.p99},
                         {"p99.9", s.latency_ms.p999},
                         {"max", s.latency_ms.max}}},
                       {"cdf_ms", s.cdf_ms},
                       {"timeline", {{"bin_s", s.bin_s}, {"completions_per_s", s.completions_per_s}}}});
  }
  return {{"target", report.target},
          {"duration_s", report.duration_s},
          {"warmup_s", report.warmup_s},
          {"wall_s", report.wall_s},
          {"streams", streams}};
}

namespace {

std::string ErrorsText(const StreamReport& s) {
  if (s.errors.empty()) return "0";
  std::string text = std::to_string(s.failed) + " (";
  bool first = true;
  for (const auto& [kind, count] : s.errors) {
    text += fmt::format("{}{} {}", first ? "" : ", ", kind, count);
    first = false;
  }
  return text + ")";
}

}  // namespace

std::string FormatTable(const RunReport& report) {
  std::string text = fmt::format("{}: {:.0f} s run, {:.0f} s warmup left out\n", report.target,
                                 report.duration_s, report.warmup_s);
  text +=
      fmt::format("{:<16} {:<18} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n", "stream", "model",
                  "requests", "ok", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
  for (const StreamReport& s : report.streams) {
    text +=
        fmt::format("{:<16} {:<18} {:>8} {:>8} {:>9.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}  {}\n",
                    s.name, s.model, s.requests, s.ok, s.throughput_rps, s.latency_ms.p50, s.latency_ms.p90,
                    s.latency_ms.p99, s.latency_ms.p999, s.latency_ms.max, ErrorsText(s));
  }
  for (const StreamReport& s : report.streams) {
    for (const auto& [kind, message] : s.error_examples) {
      text += fmt::format("  {} {}: e.g. {}\n", s.name, kind, message);
    }
  }
  return text;
}

std::string FormatMarkdown(const RunReport& report) {
  std::string text =
      "| stream | model | pattern | requests | ok | errors | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | "
      "max ms |\n"
      "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const StreamReport& s : report.streams) {
    text += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {:.1f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} |\n", s.name,
        s.model, s.pattern, s.requests, s.ok, ErrorsText(s), s.throughput_rps, s.latency_ms.p50,
        s.latency_ms.p90, s.latency_ms.p99, s.latency_ms.p999, s.latency_ms.max);
  }
  return text;
}

json OverheadToJson(const RunReport& inproc, const RunReport& http) {
  json streams = json::object();
  for (const StreamReport& h : http.streams) {
    for (const StreamReport& i : inproc.streams) {
      if (i.name != h.name) continue;
      streams[h.name] = {{"p50_us", (h.latency_ms.p50 - i.latency_ms.p50) * 1e3},
                         {"p90_us", (h.latency_ms.p90 - i.latency_ms.p90) * 1e3},
                         {"p99_us", (h.latency_ms.p99 - i.latency_ms.p99) * 1e3},
                         {"inproc_p50_ms", i.latency_ms.p50},
                         {"http_p50_ms", h.latency_ms.p50}};
    }
  }
  return streams;
}

std::string FormatOverhead(const RunReport& inproc, const RunReport& http) {
  std::string text =
      fmt::format("what serving adds (HTTP minus in-process):\n{:<16} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
                  "stream", "inproc p50", "http p50", "+p50 us", "+p90 us", "+p99 us");
  for (const StreamReport& h : http.streams) {
    for (const StreamReport& i : inproc.streams) {
      if (i.name != h.name) continue;
      text += fmt::format("{:<16} {:>9.3f} ms {:>9.3f} ms {:>12.1f} {:>12.1f} {:>12.1f}\n", h.name,
                          i.latency_ms.p50, h.latency_ms.p50, (h.latency_ms.p50 - i.latency_ms.p50) * 1e3,
                          (h.latency_ms.p90 - i.latency_ms.p90) * 1e3,
                          (h.latency_ms.p99 - i.latency_ms.p99) * 1e3);
    }
  }
  return text;
}

namespace {

Status WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  if (!file.good()) return Error(ErrorCode::kInvalidArgument, "cannot write '{}'", path.string());
  return Status::Ok();
}

}  // namespace

Status WritePlots(const RunReport& report, const std::filesystem::path& directory,
                  const std::string& file_prefix, const std::string& title_prefix) {
  std::vector<ChartSeries> cdf;
  std::vector<ChartSeries> throughput;
  for (const StreamReport& s : report.streams) {
    cdf.push_back({s.name, s.cdf_ms});
    ChartSeries timeline{s.name, {}};
    for (size_t i = 0; i < s.completions_per_s.size(); ++i) {
      timeline.points.emplace_back((static_cast<double>(i) + 0.5) * s.bin_s, s.completions_per_s[i]);
    }
    throughput.push_back(std::move(timeline));
  }
  MISSILE_RETURN_IF_ERROR(
      WriteText(directory / (file_prefix + "latency-cdf.svg"),
                RenderLineChart(cdf, {title_prefix + "latency CDF (successful requests after warmup)",
                                      "latency (ms, log scale)", "fraction of requests", true})));
  return WriteText(directory / (file_prefix + "throughput.svg"),
                   RenderLineChart(throughput, {title_prefix + "throughput over time", "time since start (s)",
                                                "responses per second", false}));
}

}  // namespace missile::loadgen
