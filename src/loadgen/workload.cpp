#include "loadgen/workload.h"

#include <random>
#include <set>

#include "core/file_io.h"
#include "core/json_fields.h"

namespace missile::loadgen {

using nlohmann::json;

std::string ArrivalPattern::Describe() const {
  switch (kind) {
    case Kind::kClosedLoop:
      return fmt::format("closed loop, {} outstanding", concurrency);
    case Kind::kPoisson:
      return fmt::format("Poisson {:g}/s", rate);
    case Kind::kTrace:
      return fmt::format("trace {} ({} requests)", source, arrivals_s.size());
  }
  return "unknown";
}

std::vector<double> PoissonArrivals(double rate, double duration_s, uint64_t seed) {
  std::vector<double> arrivals;
  if (!(rate > 0)) return arrivals;
  std::mt19937_64 random(seed);
  std::exponential_distribution<double> gap(rate);
  for (double t = gap(random); t < duration_s; t += gap(random)) arrivals.push_back(t);
  return arrivals;
}

Status ValidateWorkload(const Workload& workload) {
  if (!(workload.duration_s > 0)) {
    return Error(ErrorCode::kInvalidArgument, "duration must be > 0 s, got {}", workload.duration_s);
  }
  if (workload.warmup_s < 0 || workload.warmup_s >= workload.duration_s) {
    return Error(ErrorCode::kInvalidArgument,
                 "warmup ({} s) must be >= 0 and shorter than the duration ({} s)", workload.warmup_s,
                 workload.duration_s);
  }
  if (workload.streams.empty()) return Error(ErrorCode::kInvalidArgument, "the workload has no streams");
  std::set<std::string> names;
  for (const StreamSpec& stream : workload.streams) {
    if (stream.name.empty()) return Error(ErrorCode::kInvalidArgument, "a stream has no name");
    if (!names.insert(stream.name).second) {
      return Error(ErrorCode::kInvalidArgument, "stream '{}' is declared twice", stream.name);
    }
    if (stream.model.empty())
      return Error(ErrorCode::kInvalidArgument, "stream '{}' has no model", stream.name);
    if (stream.max_outstanding < 1) {
      return Error(ErrorCode::kInvalidArgument, "stream '{}': max_outstanding must be >= 1", stream.name);
    }
    const ArrivalPattern& p = stream.pattern;
    if (p.kind == ArrivalPattern::Kind::kClosedLoop && (p.concurrency < 1 || p.concurrency > 4096)) {
      return Error(ErrorCode::kInvalidArgument, "stream '{}': concurrency must be 1..4096, got {}",
                   stream.name, p.concurrency);
    }
    if (p.kind == ArrivalPattern::Kind::kPoisson && !(p.rate > 0)) {
      return Error(ErrorCode::kInvalidArgument, "stream '{}': the Poisson rate must be > 0, got {}",
                   stream.name, p.rate);
    }
    if (p.kind == ArrivalPattern::Kind::kTrace && p.arrivals_s.empty()) {
      return Error(ErrorCode::kInvalidArgument, "stream '{}': the trace has no arrivals", stream.name);
    }
  }
  return Status::Ok();
}

namespace {

Result<ArrivalPattern> ParsePattern(const json& object, const std::string& path,
                                    const std::filesystem::path& base_dir, uint64_t default_seed) {
  MISSILE_ASSIGN_OR_RETURN(std::string type, RequireString(object, path, "type"));
  ArrivalPattern pattern;
  if (type == "closed") {
    MISSILE_RETURN_IF_ERROR(CheckObject(object, path, {"type", "concurrency"}));
    pattern.kind = ArrivalPattern::Kind::kClosedLoop;
    MISSILE_ASSIGN_OR_RETURN(int64_t concurrency, RequireInteger(object, path, "concurrency"));
    pattern.concurrency = static_cast<int>(std::clamp<int64_t>(concurrency, -1, 1 << 20));
  } else if (type == "poisson") {
    MISSILE_RETURN_IF_ERROR(CheckObject(object, path, {"type", "rate", "seed"}));
    pattern.kind = ArrivalPattern::Kind::kPoisson;
    MISSILE_ASSIGN_OR_RETURN(double rate, RequireNumber(object, path, "rate"));
    pattern.rate = rate;
    MISSILE_ASSIGN_OR_RETURN(auto seed, ReadInteger(object, path, "seed"));
    pattern.seed = seed ? static_cast<uint64_t>(*seed) : default_seed;
  } else if (type == "trace") {
    MISSILE_RETURN_IF_ERROR(CheckObject(object, path, {"type", "file", "unit", "time_scale"}));
    pattern.kind = ArrivalPattern::Kind::kTrace;
    MISSILE_ASSIGN_OR_RETURN(std::string file, RequireString(object, path, "file"));
    MISSILE_ASSIGN_OR_RETURN(auto unit_name, ReadString(object, path, "unit"));
    MISSILE_ASSIGN_OR_RETURN(TimeUnit unit, ParseTimeUnit(unit_name.value_or("ms")));
    MISSILE_ASSIGN_OR_RETURN(auto scale, ReadNumber(object, path, "time_scale"));
    if (scale && !(*scale > 0)) return Error(ErrorCode::kInvalidArgument, "{}.time_scale: must be > 0", path);
    std::filesystem::path trace_path(file);
    if (trace_path.is_relative()) trace_path = base_dir / trace_path;
    MISSILE_ASSIGN_OR_RETURN(pattern.arrivals_s, LoadTimestampFile(trace_path.string(), unit));
    for (double& t : pattern.arrivals_s) t *= scale.value_or(1.0);
    pattern.source = file;
  } else {
    return Error(ErrorCode::kInvalidArgument, "{}.type: '{}' is not closed, poisson or trace", path, type);
  }
  return pattern;
}

}  // namespace

Result<Workload> ParseWorkload(std::string_view json_text, const std::filesystem::path& base_dir) {
  MISSILE_ASSIGN_OR_RETURN(json document, ParseJson(json_text, "the workload"));
  MISSILE_RETURN_IF_ERROR(CheckObject(document, "", {"duration_s", "warmup_s", "streams"}));
  Workload workload;
  MISSILE_ASSIGN_OR_RETURN(auto duration, ReadNumber(document, "", "duration_s"));
  MISSILE_ASSIGN_OR_RETURN(auto warmup, ReadNumber(document, "", "warmup_s"));
  workload.warmup_s = warmup.value_or(0);
  auto streams = document.find("streams");
  if (streams == document.end() || !streams->is_array() || streams->empty()) {
    return Error(ErrorCode::kInvalidArgument, "streams: required, a non-empty array");
  }
  double longest_trace = 0;
  for (size_t i = 0; i < streams->size(); ++i) {
    const json& object = (*streams)[i];
    const std::string path = JsonPath("streams", i);
    MISSILE_RETURN_IF_ERROR(CheckObject(object, path, {"name", "model", "pattern", "max_outstanding"}));
    StreamSpec stream;
    MISSILE_ASSIGN_OR_RETURN(std::string name, RequireString(object, path, "name"));
    stream.name = name;
    MISSILE_ASSIGN_OR_RETURN(std::string model, RequireString(object, path, "model"));
    stream.model = model;
    MISSILE_ASSIGN_OR_RETURN(auto outstanding, ReadInteger(object, path, "max_outstanding"));
    if (outstanding) stream.max_outstanding = static_cast<int>(std::clamp<int64_t>(*outstanding, 0, 1 << 20));
    if (!object.contains("pattern")) return Error(ErrorCode::kInvalidArgument, "{}.pattern: required", path);
    MISSILE_ASSIGN_OR_RETURN(stream.pattern,
                             ParsePattern(object.at("pattern"), JsonPath(path, "pattern"), base_dir, i + 1));
    if (!stream.pattern.arrivals_s.empty())
      longest_trace = std::max(longest_trace, stream.pattern.arrivals_s.back());
    workload.streams.push_back(std::move(stream));
  }
  // A run with only traces lasts as long as its longest trace (plus a second for the last responses).
  workload.duration_s = duration.value_or(longest_trace > 0 ? longest_trace + 1.0 : 30.0);
  for (StreamSpec& stream : workload.streams) {
    if (stream.pattern.kind == ArrivalPattern::Kind::kPoisson) {
      stream.pattern.arrivals_s =
          PoissonArrivals(stream.pattern.rate, workload.duration_s, stream.pattern.seed);
    }
  }
  MISSILE_RETURN_IF_ERROR(ValidateWorkload(workload));
  return workload;
}

Result<Workload> LoadWorkload(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, "workload"));
  auto workload = ParseWorkload(text, std::filesystem::absolute(path).parent_path());
  if (!workload.ok()) return workload.status().WithContext(fmt::format("workload '{}'", path));
  return workload;
}

Result<Workload> WorkloadFromDisb(const DisbTrace& trace, const DisbOptions& options) {
  if (!(options.time_scale > 0)) {
    return Error(ErrorCode::kInvalidArgument, "time scale must be > 0, got {}", options.time_scale);
  }
  Workload workload;
  workload.duration_s = trace.duration_s * options.time_scale;
  double last_arrival = 0;
  for (const DisbTask& task : trace.tasks) {
    if (task.continuous && options.trace_tasks_only) continue;
    StreamSpec stream;
    stream.name = task.id;
    if (auto by_id = options.model_map.find(task.id); by_id != options.model_map.end()) {
      stream.model = by_id->second;
    } else if (auto by_model = options.model_map.find(task.model_name); by_model != options.model_map.end()) {
      stream.model = by_model->second;
    } else {
      stream.model = options.model_per_task ? task.id : task.model_name;
    }
    stream.max_outstanding = options.max_outstanding;
    if (task.continuous) {
      stream.pattern.kind = ArrivalPattern::Kind::kClosedLoop;
      stream.pattern.concurrency = options.be_concurrency;
    } else {
      stream.pattern.kind = ArrivalPattern::Kind::kTrace;
      stream.pattern.source = fmt::format("DISB {}", task.id);
      for (double t : task.arrivals_s) stream.pattern.arrivals_s.push_back(t * options.time_scale);
      if (!stream.pattern.arrivals_s.empty())
        last_arrival = std::max(last_arrival, stream.pattern.arrivals_s.back());
    }
    workload.streams.push_back(std::move(stream));
  }
  // DISB's "time" is rounded down: the traces run slightly past it. Keep every arrival.
  workload.duration_s = std::max(workload.duration_s, last_arrival + 0.5);
  MISSILE_RETURN_IF_ERROR(ValidateWorkload(workload));
  return workload;
}

Result<Workload> RoundOf(const Workload& workload, int rounds, int index) {
  if (rounds < 1 || index < 0 || index >= rounds) {
    return Error(ErrorCode::kInvalidArgument, "round {} of {}", index, rounds);
  }
  Workload round = workload;
  round.duration_s = workload.warmup_s + (workload.duration_s - workload.warmup_s) / rounds;
  for (StreamSpec& stream : round.streams) {
    switch (stream.pattern.kind) {
      case ArrivalPattern::Kind::kClosedLoop:
        break;
      case ArrivalPattern::Kind::kPoisson:
        stream.pattern.seed += static_cast<uint64_t>(index);
        stream.pattern.arrivals_s =
            PoissonArrivals(stream.pattern.rate, round.duration_s, stream.pattern.seed);
        break;
      case ArrivalPattern::Kind::kTrace:
        if (rounds > 1) {
          return Error(ErrorCode::kInvalidArgument,
                       "stream '{}' replays a trace, which plays once: it cannot be split into rounds",
                       stream.name);
        }
        break;
    }
  }
  return round;
}

}  // namespace missile::loadgen
