// What a load-generator run sends: one or more streams, each a model driven by its own arrival pattern
// (closed loop with N outstanding, Poisson at a rate, or a trace replayed), all at once.
//
// Workload files (JSON, docs/server.md):
//   {"duration_s": 60, "warmup_s": 5,
//    "streams": [{"name": "camera", "model": "mobilenet", "pattern": {"type": "poisson", "rate": 50}},
//                {"name": "batch", "model": "resnet", "pattern": {"type": "closed", "concurrency": 4}},
//                {"name": "log", "model": "bert", "pattern": {"type": "trace", "file": "t.txt", "unit":
//                "ms"}}]}
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/trace.h"

namespace missile::loadgen {

struct ArrivalPattern {
  enum class Kind { kClosedLoop, kPoisson, kTrace };
  Kind kind = Kind::kClosedLoop;
  int concurrency = 1;             // closed loop: requests outstanding at all times
  double rate = 0;                 // Poisson: mean arrivals per second
  uint64_t seed = 1;               // Poisson: the arrival sequence is a function of the seed
  std::vector<double> arrivals_s;  // trace: offsets from the run's start
  std::string source;              // trace: where the offsets came from, for the report

  std::string Describe() const;  // "closed loop, 4 outstanding", "Poisson 50/s", "trace t.txt (120 requests)"
};

struct StreamSpec {
  std::string name;
  std::string model;
  ArrivalPattern pattern;
  // Open-loop streams: requests in flight at most (one connection each); arrivals beyond wait, and their
  // latency counts from their scheduled time.
  int max_outstanding = 64;
};

struct Workload {
  double duration_s = 30;  // the whole run
  double warmup_s = 0;     // the first seconds, left out of the statistics
  std::vector<StreamSpec> streams;
};

// Trace paths in the file are relative to base_dir. Each stream's Poisson seed defaults to its index + 1.
Result<Workload> ParseWorkload(std::string_view json_text, const std::filesystem::path& base_dir);
Result<Workload> LoadWorkload(const std::string& path);

// The DISB workload: each trace task becomes a trace stream, each continuous task a closed loop with
// `be_concurrency` outstanding. A task's served model is, in order: model_map[task id], model_map[trace model
// name], the task id itself when model_per_task (so each task can be its own tenant), else the trace's model
// name. time_scale multiplies every offset and the duration (2: half the rate over twice the time).
struct DisbOptions {
  std::map<std::string, std::string> model_map;
  bool model_per_task = false;
  bool trace_tasks_only = false;  // leave the continuous (closed-loop) tasks out: the LS-alone baseline
  double time_scale = 1.0;
  int be_concurrency = 1;
  int max_outstanding = 64;
};
Result<Workload> WorkloadFromDisb(const DisbTrace& trace, const DisbOptions& options);

// Exponential inter-arrival times at `rate` per second from time 0 up to duration_s, deterministic for a
// seed.
std::vector<double> PoissonArrivals(double rate, double duration_s, uint64_t seed);

// Checks names are unique and valid, patterns sensible, and warmup < duration.
Status ValidateWorkload(const Workload& workload);

// Round `index` of `rounds` that share the workload's measured time: each round warms up for warmup_s and
// then measures (duration_s - warmup_s) / rounds, so the rounds together measure what the one run would.
// Poisson streams draw their own arrivals for the round (seed + index); trace streams cannot be split
// (kInvalidArgument). Why rounds: alternated between two targets (in-process and HTTP), they see the same
// drift of the machine (clocks, temperature, other load) instead of one target seeing the first half of it.
Result<Workload> RoundOf(const Workload& workload, int rounds, int index);

}  // namespace missile::loadgen
