// One timed run of the GPU colocation benchmark: an LS tenant with Poisson arrivals and/or a closed-loop BE
// tenant, either through the compute scheduler (a policy, the CUDA launcher) or with no scheduler at all
// (the same engine and the same GPU work, launched straight into one stream per tenant: the baselines).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "runtime/cuda/cuda_executable.h"
#include "sched/cuda/cuda_kernel_launcher.h"
#include "sched/cuda/partition_streams.h"
#include "sched/kernel_profile.h"
#include "sched/policy.h"
#include "sched/tenant.h"
#include "sim/latency_summary.h"

namespace missile::bench {

using Clock = std::chrono::steady_clock;

struct GpuTenant {
  std::string name;
  runtime::cuda::CudaExecutable* executable = nullptr;
  std::shared_ptr<const sched::ModelProfile> profile;  // aligned to the executable's steps
  int batch = 1;
  sched::SmBounds bounds;
  size_t segment_steps = 1;  // steps per launch; 0: whole requests
};

struct RunSpec {
  std::string name;    // "ls-alone", "missile", "missile@seg=1@be=0:all", ...
  std::string policy;  // empty: no scheduler
  bool with_ls = false;
  bool with_be = false;
  // This run's own settings where they differ from the workload's (variants compared in one invocation).
  std::optional<size_t> be_segment;
  std::optional<sched::SmBounds> be_bounds;
  std::optional<double> budget;
};

struct Workload {
  GpuTenant ls;
  GpuTenant be;
  std::vector<double> ls_arrivals_s;  // seconds from the run's start, ascending, all < duration
  double duration_s = 30;
  double warmup_s = 2;  // LS requests arriving earlier and BE work completed earlier are not counted
  sched::PolicyOptions policy_options;
  // Launches replay CUDA graphs (of each segment; the baselines: of the whole request). Off: kernels are
  // enqueued call by call.
  bool graphs = true;
};

struct RunResult {
  RunSpec spec;
  sim::LatencySummary ls;  // LS requests arriving in [warmup, duration)
  uint64_t ls_failed = 0;
  uint64_t be_requests = 0;  // BE requests completed in [warmup, duration]
  double be_items_per_s = 0;
  uint64_t be_failed = 0;
  std::optional<sched::cuda::CudaLauncherStats> launcher;  // scheduled runs
  uint64_t invalid_decisions = 0;
  double wall_s = 0;
};

Result<RunResult> RunScheduled(const Workload& workload, const RunSpec& spec,
                               sched::cuda::PartitionStreams& streams);
Result<RunResult> RunDirect(const Workload& workload, const RunSpec& spec,
                            sched::cuda::PartitionStreams& streams);

// Busy-waits until `deadline`, sleeping first while it is far: arrivals keep to tens of microseconds.
void WaitUntil(Clock::time_point deadline);

}  // namespace missile::bench
