#include "loadgen/trace.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "core/file_io.h"
#include "core/json_fields.h"

namespace missile::loadgen {

using nlohmann::json;

Result<DisbTrace> ParseDisbTrace(std::string_view json_text) {
  MISSILE_ASSIGN_OR_RETURN(json document, ParseJson(json_text, "the DISB trace"));
  if (!document.is_object()) return Error(ErrorCode::kInvalidArgument, "the DISB trace is not a JSON object");
  DisbTrace trace;
  MISSILE_ASSIGN_OR_RETURN(double time, RequireNumber(document, "", "time"));
  if (!(time > 0)) return Error(ErrorCode::kInvalidArgument, "time: must be > 0, got {}", time);
  trace.duration_s = time;
  auto tasks = document.find("tasks");
  if (tasks == document.end() || !tasks->is_array() || tasks->empty()) {
    return Error(ErrorCode::kInvalidArgument, "tasks: required, a non-empty array");
  }
  for (size_t i = 0; i < tasks->size(); ++i) {
    const json& task = (*tasks)[i];
    const std::string path = JsonPath("tasks", i);
    if (!task.is_object()) return Error(ErrorCode::kInvalidArgument, "{}: expected an object", path);
    DisbTask parsed;
    MISSILE_ASSIGN_OR_RETURN(std::string id, RequireString(task, path, "id"));
    parsed.id = id;
    const std::string client_path = JsonPath(path, "client");
    auto client = task.find("client");
    if (client == task.end() || !client->is_object()) {
      return Error(ErrorCode::kInvalidArgument, "{}: required, an object", client_path);
    }
    MISSILE_ASSIGN_OR_RETURN(std::string model, RequireString(*client, client_path, "model_name"));
    parsed.model_name = model;
    MISSILE_ASSIGN_OR_RETURN(auto batch, ReadInteger(*client, client_path, "batch_size"));
    parsed.batch_size = static_cast<int>(batch.value_or(1));
    const std::string load_path = JsonPath(path, "load");
    auto load = task.find("load");
    if (load == task.end() || !load->is_object()) {
      return Error(ErrorCode::kInvalidArgument, "{}: required, an object", load_path);
    }
    MISSILE_ASSIGN_OR_RETURN(std::string type, RequireString(*load, load_path, "type"));
    if (type == "continuous") {
      parsed.continuous = true;
    } else if (type == "trace") {
      auto arrivals = load->find("trace");
      const std::string arrivals_path = JsonPath(load_path, "trace");
      if (arrivals == load->end() || !arrivals->is_array()) {
        return Error(ErrorCode::kInvalidArgument, "{}: required, an array of millisecond offsets",
                     arrivals_path);
      }
      double previous = 0;
      for (size_t a = 0; a < arrivals->size(); ++a) {
        const json& offset = (*arrivals)[a];
        if (!offset.is_number() || offset.get<double>() < 0) {
          return Error(ErrorCode::kInvalidArgument, "{}: offsets must be numbers >= 0",
                       JsonPath(arrivals_path, a));
        }
        const double ms = offset.get<double>();
        if (ms < previous) {
          return Error(ErrorCode::kInvalidArgument, "{}: {} ms comes before the previous offset {} ms",
                       JsonPath(arrivals_path, a), ms, previous);
        }
        previous = ms;
        parsed.arrivals_s.push_back(ms / 1000.0);
      }
    } else {
      return Error(ErrorCode::kInvalidArgument, "{}.type: '{}' is neither 'trace' nor 'continuous'",
                   load_path, type);
    }
    trace.tasks.push_back(std::move(parsed));
  }
  return trace;
}

Result<DisbTrace> LoadDisbTrace(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, "DISB trace"));
  auto trace = ParseDisbTrace(text);
  if (!trace.ok()) return trace.status().WithContext(fmt::format("trace '{}'", path));
  return trace;
}

Result<TimeUnit> ParseTimeUnit(std::string_view name) {
  if (name == "s") return TimeUnit::kSeconds;
  if (name == "ms") return TimeUnit::kMilliseconds;
  if (name == "us") return TimeUnit::kMicroseconds;
  return Error(ErrorCode::kInvalidArgument, "unknown time unit '{}' (s, ms or us)", name);
}

Result<std::vector<double>> ParseTimestampLines(std::string_view text, TimeUnit unit) {
  const double to_seconds = unit == TimeUnit::kSeconds ? 1.0 : unit == TimeUnit::kMilliseconds ? 1e-3 : 1e-6;
  std::vector<double> offsets;
  double first = 0;
  double previous = 0;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    if (line.empty()) continue;
    double value = 0;
    const auto parsed = std::from_chars(line.data(), line.data() + line.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr != line.data() + line.size() || !std::isfinite(value)) {
      return Error(ErrorCode::kInvalidArgument, "line {}: '{}' is not a timestamp", line_number, line);
    }
    if (offsets.empty()) {
      first = value;
    } else if (value < previous) {
      return Error(
          ErrorCode::kInvalidArgument,
          "line {}: timestamp {} is earlier than the previous one ({}); timestamps must not decrease",
          line_number, line, previous);
    }
    previous = value;
    offsets.push_back((value - first) * to_seconds);
  }
  if (offsets.empty()) return Error(ErrorCode::kInvalidArgument, "the trace has no timestamps");
  return offsets;
}

Result<std::vector<double>> LoadTimestampFile(const std::string& path, TimeUnit unit) {
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, "trace"));
  auto offsets = ParseTimestampLines(text, unit);
  if (!offsets.ok()) return offsets.status().WithContext(fmt::format("trace '{}'", path));
  return offsets;
}

}  // namespace missile::loadgen
