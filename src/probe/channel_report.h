// The channel probe's outputs: a readable markdown report and a JSON document with every number behind it.
// Pure formatting of plain data (gpu_measurements.h, channel_probe.h), so it is built and tested without a
// GPU; other modules add their own sections (the placement analysis of the memory module).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "probe/channel_probe.h"
#include "probe/gpu_measurements.h"

namespace missile::probe {

struct ProbedDevice {
  std::string name;
  int sm_count = 0;
  uint64_t memory_bytes = 0;
  uint64_t l2_bytes = 0;
  uint64_t persisting_l2_max_bytes = 0;
  uint64_t vmm_granularity = 0;
  int driver_version = 0;
};

// A section another module contributes: `json` must be one JSON value (stored under `key`).
struct ReportSection {
  std::string key;
  std::string json;
  std::string markdown;
};

struct ChannelProbeReport {
  std::string command;
  std::string date_utc;
  ProbedDevice device;
  std::optional<OracleCalibration> calibration;
  std::string calibration_error;
  std::optional<BandwidthSweep> sweep;
  std::string sweep_error;
  std::optional<ChannelProbeResult> probe;
  std::string probe_error;
  std::vector<ReportSection> sections;
  double seconds = 0;
};

std::string ChannelProbeMarkdown(const ChannelProbeReport& report);
// Format "missile-channel-probe/1". Fails only when a section's JSON does not parse.
Result<std::string> ChannelProbeJson(const ChannelProbeReport& report);

}  // namespace missile::probe
