// The colocation experiment of issue 4: one LS tenant with Poisson arrivals beside one closed-loop BE tenant,
// under each policy, against both tenants alone on the whole GPU (same seed, hence the same LS arrivals).
// Launches cover segments of steps as on the GPU (the benchmark there replays the LS request whole and BE a
// few steps at a time); "alone" runs each request as one launch, as the GPU's baselines replay one CUDA
// graph. Reports per policy LS p50/p99/p99.9 and BE items/s, and the two ratios the acceptance bounds: LS p99
// over LS alone, BE throughput over BE alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sim/simulation.h"

namespace missile::sim {

struct ColocationScenario {
  std::shared_ptr<const sched::ModelProfile> ls_model;
  std::shared_ptr<const sched::ModelProfile> be_model;
  double ls_rate = 200;  // requests per second
  Nanos duration = std::chrono::seconds(30);
  Nanos warmup = std::chrono::milliseconds(500);
  uint64_t seed = 1;
  sched::SmBounds ls_bounds{0, sched::kAllGroups};
  sched::SmBounds be_bounds{1, sched::kAllGroups};
  size_t ls_segment_steps = 1;  // steps per launch; 0: the whole request
  size_t be_segment_steps = 1;
  sched::PolicyOptions policy_options;
  ModelledGpuOptions gpu;
  bool model_copies = true;
};

struct ColocationRow {
  std::string policy;
  TenantOutcome ls;
  TenantOutcome be;
  double ls_p99_vs_alone = 0;  // LS p99 over LS alone's
  double be_vs_alone = 0;      // BE items/s over BE alone's
  ModelledGpuStats gpu;
};

struct ColocationReport {
  TenantOutcome ls_alone;
  TenantOutcome be_alone;
  std::vector<ColocationRow> rows;  // in the order of the policies asked for
};

// The tenants alone, then one run per policy.
Result<ColocationReport> RunColocation(const ColocationScenario& scenario,
                                       const std::vector<std::string>& policies);

// A markdown table: alone rows, then one row per policy.
std::string FormatColocationTable(const ColocationReport& report);
// Scenario and results as JSON.
std::string ColocationToJson(const ColocationScenario& scenario, const ColocationReport& report);

}  // namespace missile::sim
