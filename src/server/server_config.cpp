#include "server/server_config.h"

#include <algorithm>
#include <set>

#include "core/file_io.h"
#include "core/json_fields.h"
#include "pcie/nice_weight.h"
#include "sched/policy.h"
#include "server/byte_size.h"

namespace missile::server {

using nlohmann::json;

const char* TenantClassName(TenantClass tenant_class) {
  return tenant_class == TenantClass::kLatencySensitive ? "LS" : "BE";
}

const TenantConfig* ServerConfig::FindTenant(const std::string& name) const {
  for (const auto& tenant : tenants) {
    if (tenant.name == name) return &tenant;
  }
  return nullptr;
}

const ModelConfig* ServerConfig::FindModel(const std::string& name) const {
  for (const auto& model : models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

Status CheckName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 128) {
    return Error(ErrorCode::kInvalidArgument, "{} must have 1 to 128 characters", what);
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) {
      return Error(ErrorCode::kInvalidArgument, "{} '{}' has a character outside [A-Za-z0-9_.-]", what, name);
    }
  }
  return Status::Ok();
}

namespace {

// Reads an integer field into `target` when present, checking it lies in [low, high].
Status ReadIntInRange(const json& object, std::string_view path, std::string_view key, int64_t low,
                      int64_t high, int& target) {
  MISSILE_ASSIGN_OR_RETURN(auto value, ReadInteger(object, path, key));
  if (!value) return Status::Ok();
  if (*value < low || *value > high) {
    return Error(ErrorCode::kInvalidArgument, "{}: {} is outside [{}, {}]", JsonPath(path, key), *value, low,
                 high);
  }
  target = static_cast<int>(*value);
  return Status::Ok();
}

Status ParseHttp(const json& object, HttpConfig& http) {
  const std::string path = "server";
  MISSILE_RETURN_IF_ERROR(CheckObject(
      object, path,
      {"host", "port", "http_threads", "max_body_bytes", "keep_alive_timeout_s", "keep_alive_max_requests",
       "read_timeout_s", "write_timeout_s", "busy_poll_us", "socket_buffer_bytes", "listen_backlog",
       "pinned_body_bytes", "blas_threads", "backend", "gpu_scheduler", "allow_client_shared_memory"}));
  MISSILE_ASSIGN_OR_RETURN(auto host, ReadString(object, path, "host"));
  if (host) {
    if (host->empty()) return Error(ErrorCode::kInvalidArgument, "server.host: empty");
    http.host = *host;
  }
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "port", 0, 65535, http.port));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "http_threads", 1, 4096, http.threads));
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "keep_alive_timeout_s", 1, 3600, http.keep_alive_timeout_s));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "read_timeout_s", 1, 3600, http.read_timeout_s));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "write_timeout_s", 1, 3600, http.write_timeout_s));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "busy_poll_us", 0, 1'000'000, http.busy_poll_us));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "listen_backlog", 1, 65535, http.listen_backlog));
  if (object.contains("socket_buffer_bytes")) {
    MISSILE_ASSIGN_OR_RETURN(const uint64_t bytes, ByteSizeFromJson(object.at("socket_buffer_bytes"),
                                                                    "server.socket_buffer_bytes"));
    if (bytes != 0 && (bytes < 4096 || bytes > (uint64_t{256} << 20))) {
      return Error(ErrorCode::kInvalidArgument,
                   "server.socket_buffer_bytes: {} is outside 4 KiB..256 MiB (0: the kernel's sizing)",
                   bytes);
    }
    http.socket_buffer_bytes = static_cast<int>(bytes);
  }
  if (object.contains("pinned_body_bytes")) {
    MISSILE_ASSIGN_OR_RETURN(http.pinned_body_bytes,
                             ByteSizeFromJson(object.at("pinned_body_bytes"), "server.pinned_body_bytes"));
  }
  int max_requests = -1;
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "keep_alive_max_requests", 1, INT32_MAX, max_requests));
  if (max_requests > 0) http.keep_alive_max_requests = static_cast<uint64_t>(max_requests);
  if (object.contains("max_body_bytes")) {
    MISSILE_ASSIGN_OR_RETURN(http.max_body_bytes,
                             ByteSizeFromJson(object.at("max_body_bytes"), "server.max_body_bytes"));
    if (http.max_body_bytes == 0)
      return Error(ErrorCode::kInvalidArgument, "server.max_body_bytes: must be > 0");
  }
  return Status::Ok();
}

// The tenant's L2 set-aside settings: only LS tenants have one (BE traffic is what it protects them from).
Status ParseL2SetAside(const json& object, const std::string& path, TenantConfig& tenant) {
  MISSILE_ASSIGN_OR_RETURN(auto mode, ReadString(object, path, "l2_setaside"));
  if (mode) {
    auto parsed = memory::ParseL2SetAsideMode(*mode);
    if (!parsed.ok()) return parsed.status().WithContext(JsonPath(path, "l2_setaside"));
    tenant.l2_setaside = *parsed;
  }
  if (object.contains("l2_setaside_size")) {
    const std::string size_path = JsonPath(path, "l2_setaside_size");
    MISSILE_ASSIGN_OR_RETURN(uint64_t bytes, ByteSizeFromJson(object.at("l2_setaside_size"), size_path));
    if (bytes == 0) {
      return Error(ErrorCode::kInvalidArgument, "{}: must be > 0 (to go without, set l2_setaside to off)",
                   size_path);
    }
    tenant.l2_setaside_bytes = bytes;
  }
  const bool asks =
      (tenant.l2_setaside && *tenant.l2_setaside != memory::L2SetAsideMode::kOff) || tenant.l2_setaside_bytes;
  if (asks && tenant.tenant_class != TenantClass::kLatencySensitive) {
    return Error(
        ErrorCode::kInvalidArgument,
        "{}: only LS tenants can set L2 aside (it keeps their weights from being evicted by BE traffic)",
        path);
  }
  if (tenant.l2_setaside == memory::L2SetAsideMode::kOff && tenant.l2_setaside_bytes) {
    return Error(ErrorCode::kInvalidArgument, "{}: l2_setaside_size is given but l2_setaside is off", path);
  }
  return Status::Ok();
}

// The online trial of `auto` tenants: how many contended requests a round takes, how many rounds each side
// gets, what counts as helping.
Status ParseL2Trial(const json& object, memory::L2CoordinatorOptions& options) {
  const std::string path = "l2_trial";
  MISSILE_RETURN_IF_ERROR(CheckObject(
      object, path,
      {"requests_per_round", "rounds_per_side", "min_gain", "min_confidence", "settle_requests"}));
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "requests_per_round", 1, 1000000, options.trial.requests_per_round));
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "rounds_per_side", 1, 100, options.trial.rounds_per_side));
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "settle_requests", 0, 100000, options.settle_requests));
  MISSILE_ASSIGN_OR_RETURN(auto gain, ReadNumber(object, path, "min_gain"));
  if (gain) {
    if (!(*gain >= 0 && *gain < 1)) {
      return Error(ErrorCode::kInvalidArgument, "l2_trial.min_gain: {} is outside [0, 1)", *gain);
    }
    options.trial.decision.min_gain = *gain;
  }
  MISSILE_ASSIGN_OR_RETURN(auto confidence, ReadNumber(object, path, "min_confidence"));
  if (confidence) {
    if (!(*confidence > 0.5 && *confidence <= 1)) {
      return Error(ErrorCode::kInvalidArgument,
                   "l2_trial.min_confidence: {} is outside (0.5, 1] (0.5 is a coin toss)", *confidence);
    }
    options.trial.decision.min_confidence = *confidence;
  }
  return Status::Ok();
}

Result<TenantConfig> ParseTenant(const json& object, const std::string& path) {
  MISSILE_RETURN_IF_ERROR(CheckObject(object, path,
                                      {"name", "class", "vram_quota", "pcie_nice", "sm_min", "sm_max",
                                       "latency_target_ms", "priority", "l2_setaside", "l2_setaside_size"}));
  TenantConfig tenant;
  MISSILE_ASSIGN_OR_RETURN(std::string name, RequireString(object, path, "name"));
  tenant.name = name;
  MISSILE_RETURN_IF_ERROR(CheckName(tenant.name, JsonPath(path, "name")));

  MISSILE_ASSIGN_OR_RETURN(std::string tenant_class, RequireString(object, path, "class"));
  std::string upper = tenant_class;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(toupper(c)); });
  if (upper == "LS") {
    tenant.tenant_class = TenantClass::kLatencySensitive;
  } else if (upper == "BE") {
    tenant.tenant_class = TenantClass::kBestEffort;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 "{}.class: '{}' is neither LS (latency-sensitive) nor BE (best-effort)", path, tenant_class);
  }

  if (object.contains("vram_quota")) {
    MISSILE_ASSIGN_OR_RETURN(uint64_t quota,
                             ByteSizeFromJson(object.at("vram_quota"), JsonPath(path, "vram_quota")));
    tenant.vram_quota_bytes = quota;
  }
  // LS tenants default to nice -10 (about 9x a BE tenant's weight): at that weight an LS copy beside bulk BE
  // copies stayed within 1.5x of its raw solo p99 at every size on the H200
  // (docs/results/pcie-h200-2026-11-26.md), while at nice 0 a 16 MiB copy gets half the link and waits about
  // twice as long.
  tenant.pcie_nice = tenant.tenant_class == TenantClass::kLatencySensitive ? kDefaultLsPcieNice : 0;
  MISSILE_RETURN_IF_ERROR(
      ReadIntInRange(object, path, "pcie_nice", pcie::kMinNice, pcie::kMaxNice, tenant.pcie_nice));
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "sm_min", 0, 100000, tenant.sm_min));
  int sm_max = -1;
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "sm_max", 1, 100000, sm_max));
  if (sm_max > 0) {
    if (sm_max < tenant.sm_min) {
      return Error(ErrorCode::kInvalidArgument, "{}: sm_max ({}) is below sm_min ({})", path, sm_max,
                   tenant.sm_min);
    }
    tenant.sm_max = sm_max;
  }
  MISSILE_ASSIGN_OR_RETURN(auto target, ReadNumber(object, path, "latency_target_ms"));
  if (target) {
    if (!(*target > 0)) {
      return Error(ErrorCode::kInvalidArgument, "{}.latency_target_ms: must be > 0, got {}", path, *target);
    }
    tenant.latency_target_ms = *target;
  }
  MISSILE_RETURN_IF_ERROR(ReadIntInRange(object, path, "priority", -1000, 1000, tenant.priority));
  MISSILE_RETURN_IF_ERROR(ParseL2SetAside(object, path, tenant));
  return tenant;
}

Result<Shape> ParseShape(const json& value, const std::string& path) {
  if (!value.is_array()) {
    return Error(ErrorCode::kInvalidArgument, "{}: expected an array of dimensions, got {}", path,
                 JsonTypeName(value));
  }
  Shape shape;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_number_integer() || value[i].get<int64_t>() < 0) {
      return Error(ErrorCode::kInvalidArgument, "{}: dimensions must be integers >= 0", JsonPath(path, i));
    }
    shape.push_back(value[i].get<int64_t>());
  }
  return shape;
}

Status ParseGpuOptions(const json& object, const std::string& path, ModelGpuOptions& gpu) {
  MISSILE_ASSIGN_OR_RETURN(auto precision, ReadString(object, path, "precision"));
  if (precision) {
    auto parsed = runtime::ParsePrecision(*precision);
    if (!parsed.ok()) return parsed.status().WithContext(JsonPath(path, "precision"));
    gpu.precision = *parsed;
  }
  MISSILE_ASSIGN_OR_RETURN(auto cuda_graph, ReadBool(object, path, "cuda_graph"));
  gpu.cuda_graph = cuda_graph.value_or(gpu.cuda_graph);
  MISSILE_ASSIGN_OR_RETURN(auto tf32, ReadBool(object, path, "tf32"));
  gpu.allow_tf32 = tf32.value_or(gpu.allow_tf32);
  return Status::Ok();
}

Result<ModelConfig> ParseModel(const json& object, const std::string& path,
                               const std::filesystem::path& base_dir) {
  MISSILE_RETURN_IF_ERROR(CheckObject(
      object, path, {"name", "tenant", "path", "load", "inputs", "precision", "cuda_graph", "tf32"}));
  ModelConfig model;
  MISSILE_ASSIGN_OR_RETURN(std::string name, RequireString(object, path, "name"));
  model.name = name;
  MISSILE_RETURN_IF_ERROR(CheckName(model.name, JsonPath(path, "name")));
  MISSILE_ASSIGN_OR_RETURN(std::string tenant, RequireString(object, path, "tenant"));
  model.tenant = tenant;
  MISSILE_ASSIGN_OR_RETURN(std::string file, RequireString(object, path, "path"));
  if (file.empty()) return Error(ErrorCode::kInvalidArgument, "{}.path: empty", path);
  model.path = std::filesystem::path(file);
  if (model.path.is_relative()) model.path = base_dir / model.path;
  model.path = model.path.lexically_normal();
  MISSILE_ASSIGN_OR_RETURN(auto load, ReadBool(object, path, "load"));
  model.load_at_start = load.value_or(true);
  if (object.contains("inputs")) {
    const json& inputs = object.at("inputs");
    const std::string inputs_path = JsonPath(path, "inputs");
    if (!inputs.is_object()) {
      return Error(ErrorCode::kInvalidArgument, "{}: expected an object of input name -> shape, got {}",
                   inputs_path, JsonTypeName(inputs));
    }
    for (const auto& [input, shape] : inputs.items()) {
      MISSILE_ASSIGN_OR_RETURN(Shape parsed, ParseShape(shape, JsonPath(inputs_path, input)));
      model.input_shapes.emplace(input, std::move(parsed));
    }
  }
  MISSILE_RETURN_IF_ERROR(ParseGpuOptions(object, path, model.gpu));
  return model;
}

}  // namespace

Result<ServerConfig> ParseServerConfig(std::string_view json_text, const std::filesystem::path& base_dir) {
  MISSILE_ASSIGN_OR_RETURN(json document, ParseJson(json_text, "the configuration"));
  MISSILE_RETURN_IF_ERROR(CheckObject(document, "", {"server", "policy", "l2_trial", "tenants", "models"}));
  ServerConfig config;
  if (document.contains("server")) {
    MISSILE_RETURN_IF_ERROR(ParseHttp(document.at("server"), config.http));
    MISSILE_RETURN_IF_ERROR(
        ReadIntInRange(document.at("server"), "server", "blas_threads", 0, 1024, config.blas_threads));
    MISSILE_ASSIGN_OR_RETURN(auto gpu_scheduler, ReadBool(document.at("server"), "server", "gpu_scheduler"));
    config.gpu_scheduler = gpu_scheduler.value_or(false);
    MISSILE_ASSIGN_OR_RETURN(auto shared_memory,
                             ReadBool(document.at("server"), "server", "allow_client_shared_memory"));
    config.allow_client_shared_memory = shared_memory.value_or(false);
    MISSILE_ASSIGN_OR_RETURN(auto backend, ReadString(document.at("server"), "server", "backend"));
    if (backend) {
      if (*backend != "cpu" && *backend != "cuda" && *backend != "auto") {
        return Error(ErrorCode::kInvalidArgument, "server.backend: '{}' is not cpu, cuda or auto", *backend);
      }
      config.backend = *backend;
    }
  }
  MISSILE_ASSIGN_OR_RETURN(auto policy, ReadString(document, "", "policy"));
  if (policy) {
    // The scheduler owns the policies: a name it makes is a name the server accepts.
    if (auto made = sched::MakePolicy(*policy); !made.ok()) return made.status().WithContext("policy");
    config.policy = *policy;
  }

  if (document.contains("l2_trial"))
    MISSILE_RETURN_IF_ERROR(ParseL2Trial(document.at("l2_trial"), config.l2_trial));

  if (!document.contains("tenants") || !document.at("tenants").is_array() || document.at("tenants").empty()) {
    return Error(ErrorCode::kInvalidArgument, "tenants: required, a non-empty array of tenants");
  }
  std::set<std::string> tenant_names;
  for (size_t i = 0; i < document.at("tenants").size(); ++i) {
    const std::string path = JsonPath("tenants", i);
    MISSILE_ASSIGN_OR_RETURN(TenantConfig tenant, ParseTenant(document.at("tenants")[i], path));
    if (!tenant_names.insert(tenant.name).second) {
      return Error(ErrorCode::kInvalidArgument, "{}.name: tenant '{}' is declared twice", path, tenant.name);
    }
    config.tenants.push_back(std::move(tenant));
  }

  if (document.contains("models")) {
    const json& models = document.at("models");
    if (!models.is_array()) {
      return Error(ErrorCode::kInvalidArgument, "models: expected an array, got {}", JsonTypeName(models));
    }
    std::set<std::string> model_names;
    for (size_t i = 0; i < models.size(); ++i) {
      const std::string path = JsonPath("models", i);
      MISSILE_ASSIGN_OR_RETURN(ModelConfig model, ParseModel(models[i], path, base_dir));
      if (!model_names.insert(model.name).second) {
        return Error(ErrorCode::kInvalidArgument, "{}.name: model '{}' is declared twice", path, model.name);
      }
      if (tenant_names.count(model.tenant) == 0) {
        return Error(ErrorCode::kInvalidArgument, "{}.tenant: no tenant named '{}'", path, model.tenant);
      }
      config.models.push_back(std::move(model));
    }
  }
  return config;
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, "configuration"));
  auto config = ParseServerConfig(text, std::filesystem::absolute(path).parent_path());
  if (!config.ok()) return config.status().WithContext(fmt::format("config '{}'", path));
  return config;
}

Status CheckModelsRunOn(const ServerConfig& config, std::string_view backend) {
  if (backend == "cuda") return Status::Ok();
  for (const ModelConfig& model : config.models) {
    if (model.gpu.precision != runtime::Precision::kFp32) {
      return Error(
          ErrorCode::kInvalidArgument,
          "model '{}': precision {} needs the CUDA backend (this server runs on the {} backend, which "
          "computes fp32 only)",
          model.name, runtime::PrecisionName(model.gpu.precision), backend);
    }
    if (model.gpu.cuda_graph) {
      return Error(ErrorCode::kInvalidArgument,
                   "model '{}': cuda_graph needs the CUDA backend (this server runs on the {} backend)",
                   model.name, backend);
    }
  }
  return Status::Ok();
}

Result<ServerConfig> ConfigFromModelDirectory(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    return Error(ErrorCode::kNotFound, "model directory '{}' does not exist", directory.string());
  }
  ServerConfig config;
  TenantConfig tenant;
  tenant.name = "default";
  tenant.tenant_class = TenantClass::kLatencySensitive;
  config.tenants.push_back(tenant);
  std::vector<std::filesystem::directory_entry> entries;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) entries.push_back(entry);
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.path() < b.path(); });
  for (const auto& entry : entries) {
    ModelConfig model;
    model.tenant = "default";
    if (entry.is_regular_file() && entry.path().extension() == ".onnx") {
      model.name = entry.path().stem().string();
      model.path = entry.path();
    } else if (entry.is_directory() && std::filesystem::is_regular_file(entry.path() / "model.onnx")) {
      model.name = entry.path().filename().string();
      model.path = entry.path() / "model.onnx";
    } else {
      continue;
    }
    MISSILE_RETURN_IF_ERROR(CheckName(model.name, "model name"));
    config.models.push_back(std::move(model));
  }
  if (ec) return Error(ErrorCode::kInvalidArgument, "cannot list '{}': {}", directory.string(), ec.message());
  if (config.models.empty()) {
    return Error(ErrorCode::kNotFound, "model directory '{}' has no <name>.onnx or <name>/model.onnx",
                 directory.string());
  }
  return config;
}

}  // namespace missile::server
