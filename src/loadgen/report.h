// What a run measured, per stream: requests, successes, errors by kind, throughput, latency percentiles, the
// latency CDF and throughput over time; as a text table, a Markdown table, JSON and SVG plots.
//
// Statistics cover the measured window: requests that started after the warmup. The timeline covers the
// whole run.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadgen/latency_stats.h"
#include "loadgen/runner.h"

namespace missile::loadgen {

struct StreamReport {
  std::string name;
  std::string model;
  std::string pattern;
  uint64_t requests = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> errors;             // by kind
  std::map<std::string, std::string> error_examples;  // the first message of each kind
  double throughput_rps = 0;                          // successes per second of the measured window
  LatencySummary latency_ms;                          // of the successes
  std::vector<std::pair<double, double>> cdf_ms;      // (latency ms, fraction)
  double bin_s = 1;
  std::vector<double> completions_per_s;  // successes completed in each bin of the whole run
};

struct RunReport {
  std::string target;
  double duration_s = 0;
  double warmup_s = 0;
  double wall_s = 0;
  std::vector<StreamReport> streams;

  uint64_t total_failed() const;
};

RunReport BuildReport(const RunOutcome& outcome);

nlohmann::json ReportToJson(const RunReport& report);
std::string FormatTable(const RunReport& report);     // aligned text, for the terminal
std::string FormatMarkdown(const RunReport& report);  // a Markdown table, for docs/results

// What serving adds: per stream present in both, HTTP minus in-process at p50, p90 and p99 (microseconds).
nlohmann::json OverheadToJson(const RunReport& inproc, const RunReport& http);
std::string FormatOverhead(const RunReport& inproc, const RunReport& http);

// <file_prefix>latency-cdf.svg and <file_prefix>throughput.svg under `directory`; title_prefix starts each
// chart's title.
Status WritePlots(const RunReport& report, const std::filesystem::path& directory,
                  const std::string& file_prefix, const std::string& title_prefix);

}  // namespace missile::loadgen
