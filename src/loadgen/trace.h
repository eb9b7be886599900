// Request-arrival traces the load generator replays.
//
// DISB (the DNN Inference Serving Benchmark, ../shared/data/README.md): {"time": seconds, "tasks": [...]},
// each task with an "id", a "load" ({"type": "trace", "trace": [ms, ...]} for arrivals at millisecond
// offsets, or {"type": "continuous"} for a closed-loop client) and a "client" naming the model and batch
// size.
//
// Plain: one timestamp per line (blank lines and '#' comments skipped), non-decreasing, in seconds,
// milliseconds or microseconds; replayed as offsets from the first, so absolute times from a log work too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace missile::loadgen {

struct DisbTask {
  std::string id;
  std::string model_name;
  int batch_size = 1;
  bool continuous = false;         // a closed-loop client rather than a trace
  std::vector<double> arrivals_s;  // offsets from the start, seconds, non-decreasing (trace tasks)
};

struct DisbTrace {
  double duration_s = 0;  // the workload's "time"
  std::vector<DisbTask> tasks;
};

Result<DisbTrace> ParseDisbTrace(std::string_view json_text);
Result<DisbTrace> LoadDisbTrace(const std::string& path);

enum class TimeUnit { kSeconds, kMilliseconds, kMicroseconds };
Result<TimeUnit> ParseTimeUnit(std::string_view name);  // "s", "ms", "us"

// Offsets in seconds from the first timestamp. kInvalidArgument naming the line for anything that is not a
// number, or a timestamp earlier than the one before it; an empty trace is an error too.
Result<std::vector<double>> ParseTimestampLines(std::string_view text, TimeUnit unit);
Result<std::vector<double>> LoadTimestampFile(const std::string& path, TimeUnit unit);

}  // namespace missile::loadgen
