#include "server/inference_service.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "server/oip_datatype.h"

namespace missile::server {

using nlohmann::json;

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnimplemented:
    case ErrorCode::kInvalidModel:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

HttpReply ErrorReply(int http_status, std::string_view message) {
  return HttpReply{http_status, "application/json", json{{"error", message}}.dump(), {}, {}};
}

HttpReply ErrorReply(const Status& status) {
  return ErrorReply(HttpStatusFor(status.code()), status.message());
}

namespace {

HttpReply JsonReply(const json& body, int status = 200) {
  return HttpReply{status, "application/json", body.dump(), {}, {}};
}

json SignatureJson(const std::vector<TensorSignature>& tensors) {
  json array = json::array();
  for (const TensorSignature& tensor : tensors) {
    array.push_back(
        {{"name", tensor.name}, {"datatype", OipDatatypeName(tensor.dtype)}, {"shape", tensor.shape}});
  }
  return array;
}

json FootprintJson(const ModelFootprint& footprint) {
  return {{"weights_bytes", footprint.weights_bytes},
          {"arena_bytes", footprint.arena_bytes},
          {"io_bytes", footprint.io_bytes},
          {"total_bytes", footprint.total()}};
}

// The body of a shared-memory registration: {"key": "/name", "offset": N, "byte_size": N}.
struct RegionRequest {
  std::string key;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

Result<RegionRequest> ParseRegionRequest(std::string_view body) {
  MISSILE_ASSIGN_OR_RETURN(const json document, ParseJson(body, "the request body"));
  MISSILE_RETURN_IF_ERROR(CheckObject(document, "request", {"key", "offset", "byte_size"}));
  RegionRequest request;
  MISSILE_ASSIGN_OR_RETURN(request.key, RequireString(document, "request", "key"));
  MISSILE_ASSIGN_OR_RETURN(const auto offset, ReadInteger(document, "request", "offset"));
  MISSILE_ASSIGN_OR_RETURN(const auto byte_size, ReadInteger(document, "request", "byte_size"));
  if (!byte_size.has_value() || *byte_size <= 0 || offset.value_or(0) < 0) {
    return Error(ErrorCode::kInvalidArgument, "byte_size (> 0) is required, offset must be >= 0");
  }
  request.offset = static_cast<uint64_t>(offset.value_or(0));
  request.byte_size = static_cast<uint64_t>(*byte_size);
  return request;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::unique_ptr<InferenceService>> InferenceService::Create(const ServerConfig& config) {
  MISSILE_ASSIGN_OR_RETURN(std::unique_ptr<ServingEngine> engine, ServingEngine::Create(config));
  std::unique_ptr<InferenceService> service(new InferenceService(std::move(engine)));
  if (config.allow_client_shared_memory) service->shared_memory_ = std::make_unique<SharedMemoryRegistry>();
  // The GPU scheduler's launcher copies every input into staging anyway: page-locked bodies would gain
  // nothing.
  const ServerConfig& effective = service->config();
  service->body_memory_ = BodyMemory::ForBackend(
      effective.backend, effective.gpu_scheduler ? 0 : effective.http.pinned_body_bytes);
  for (const ModelConfig& model : service->config().models) {
    service->model_metrics_.emplace(model.name, std::make_unique<ModelMetrics>(model.name, model.tenant));
  }
  return service;
}

InferenceService::~InferenceService() {
  Shutdown();
}

void InferenceService::Shutdown() {
  shutting_down_ = true;
  engine_->Shutdown();
}

Status InferenceService::LoadStartupModels() {
  for (const ModelConfig& model : config().models) {
    if (model.load_at_start) MISSILE_RETURN_IF_ERROR(engine_->Load(model.name));
  }
  ready_ = true;
  return Status::Ok();
}

HttpReply InferenceService::Live() const {
  return JsonReply({{"live", true}});
}

HttpReply InferenceService::Ready() const {
  const bool ready = ready_ && !shutting_down_;
  return JsonReply({{"ready", ready}}, ready ? 200 : 400);
}

HttpReply InferenceService::ServerMetadata() const {
  json extensions = {"binary_tensor_data", "model_repository", "model_configuration", "metrics"};
  if (shared_memory_ != nullptr) extensions.push_back("system_shared_memory");
  return JsonReply({{"name", kServerName}, {"version", kServerVersion}, {"extensions", extensions}});
}

std::optional<HttpReply> InferenceService::CheckModelAndVersion(const std::string& model,
                                                                const std::string& version) const {
  if (engine_->repository().Config(model) == nullptr) {
    return ErrorReply(404, fmt::format("unknown model '{}'", model));
  }
  if (!version.empty() && version != "1") {
    return ErrorReply(404, fmt::format("model '{}' has no version '{}' (it has version 1)", model, version));
  }
  return std::nullopt;
}

HttpReply InferenceService::ModelMetadata(const std::string& model, const std::string& version) const {
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  auto lease = engine_->repository().Acquire(model);
  if (!lease.ok()) return ErrorReply(lease.status());
  const ServedModel& served = *lease->model();
  return JsonReply({{"name", model},
                    {"versions", {"1"}},
                    {"platform", "onnx"},
                    {"inputs", SignatureJson(served.inputs())},
                    {"outputs", SignatureJson(served.outputs())}});
}

HttpReply InferenceService::ModelReady(const std::string& model, const std::string& version) const {
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  auto status = engine_->repository().Lookup(model);
  if (!status.ok()) return ErrorReply(status.status());
  const bool ready = status->state == ModelState::kReady;
  return JsonReply({{"name", model}, {"ready", ready}}, ready ? 200 : 400);
}

HttpReply InferenceService::ModelConfiguration(const std::string& model, const std::string& version) const {
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  const ModelConfig& config = *engine_->repository().Config(model);
  const TenantConfig& tenant = *this->config().FindTenant(config.tenant);
  auto status = engine_->repository().Lookup(model);
  if (!status.ok()) return ErrorReply(status.status());
  json tenant_json{{"name", tenant.name},
                   {"class", TenantClassName(tenant.tenant_class)},
                   {"pcie_nice", tenant.pcie_nice},
                   {"sm_min", tenant.sm_min},
                   {"priority", tenant.priority}};
  if (tenant.vram_quota_bytes) tenant_json["vram_quota_bytes"] = *tenant.vram_quota_bytes;
  if (tenant.sm_max) tenant_json["sm_max"] = *tenant.sm_max;
  if (tenant.latency_target_ms) tenant_json["latency_target_ms"] = *tenant.latency_target_ms;
  if (tenant.tenant_class == TenantClass::kLatencySensitive) {
    json l2{{"mode", "off"}, {"state", "off"}, {"active", false}};
    if (const L2SetAsideServing* l2_setaside = engine_->l2_setaside()) {
      for (const memory::L2TenantReport& report : l2_setaside->Report()) {
        if (report.tenant != tenant.name) continue;
        l2 = {{"mode", memory::L2SetAsideModeName(report.mode)},
              {"state", memory::L2TenantStateName(report.state)},
              {"active", report.active},
              {"budget_bytes", report.budget_bytes}};
        if (report.decision) l2["decision"] = report.decision->reason;
      }
    }
    tenant_json["l2_setaside"] = l2;
  }
  json body{{"name", model},
            {"platform", "onnx"},
            {"path", config.path.string()},
            {"backend", this->config().backend},
            {"policy", this->config().policy},
            {"policy_in_effect", policy_in_effect()},
            {"state", ModelStateName(status->state)},
            {"load_at_start", config.load_at_start},
            {"precision", std::string(runtime::PrecisionName(config.gpu.precision))},
            {"cuda_graph", config.gpu.cuda_graph},
            {"tf32", config.gpu.allow_tf32},
            {"tenant", tenant_json}};
  if (!status->reason.empty()) body["reason"] = status->reason;
  if (status->footprint) body["vram"] = FootprintJson(*status->footprint);
  if (status->state == ModelState::kReady) {
    if (auto lease = engine_->repository().Acquire(model); lease.ok()) {
      body["inputs"] = SignatureJson(lease->model()->inputs());
      body["outputs"] = SignatureJson(lease->model()->outputs());
      body["kernels"] = lease->model()->kernel_count();
    }
  }
  return JsonReply(body);
}

HttpReply InferenceService::Infer(const std::string& model, const std::string& version,
                                  std::optional<std::string_view> header_length, std::string_view body,
                                  const std::shared_ptr<std::byte[]>& body_owner) {
  const auto start = std::chrono::steady_clock::now();
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  ModelMetrics& metrics = *model_metrics_.at(model);
  auto lease = engine_->repository().Acquire(model);
  if (!lease.ok()) {
    metrics.Count(RequestOutcome::kModelUnavailable);
    return ErrorReply(lease.status());
  }
  const std::shared_ptr<ServedModel>& served = lease->model();

  std::optional<uint64_t> json_length;
  if (header_length) {
    auto parsed = ParseInferenceHeaderLength(*header_length);
    if (!parsed.ok()) {
      metrics.Count(RequestOutcome::kInvalidInput);
      return ErrorReply(parsed.status());
    }
    json_length = *parsed;
  }
  SharedMemoryReader reader;
  if (shared_memory_ != nullptr) {
    reader = [registry = shared_memory_.get()](const SharedMemoryRef& where, DataType dtype,
                                               const Shape& shape) {
      return registry->Read(where, dtype, shape);
    };
  }
  auto request = DecodeInferRequest(body, json_length, body_owner, reader);
  if (!request.ok()) {
    metrics.Count(RequestOutcome::kInvalidInput);
    return ErrorReply(request.status());
  }
  Status valid = served->Validate(*request);
  if (valid.ok()) valid = CheckSharedMemoryOutputs(*request, *served);
  if (!valid.ok()) {
    metrics.Count(RequestOutcome::kInvalidInput);
    return ErrorReply(valid);
  }

  // Which outputs go binary or into shared memory, decided before the request moves into the job.
  std::map<std::string, bool> binary_by_output;
  std::map<std::string, SharedMemoryRef> region_by_output;
  for (const RequestedOutput& output : request->outputs) {
    binary_by_output[output.name] = output.binary.value_or(request->binary_data_output);
    if (output.shared_memory) region_by_output[output.name] = *output.shared_memory;
  }
  const bool binary_default = request->binary_data_output;
  const std::string id = request->id;

  const int64_t decoded_ns = net::SteadyNanosecondsNow();
  auto ran = engine_->Run(served, std::move(request).value());
  const int64_t ran_ns = net::SteadyNanosecondsNow();
  if (!ran.ok()) return ErrorReply(ran.status());
  JobOutcome outcome = std::move(ran).value();
  if (!outcome.outputs.ok()) {
    metrics.Count(RequestOutcome::kExecutionError);
    const Status& status = outcome.outputs.status();
    return ErrorReply(status.code() == ErrorCode::kInvalidArgument ? 400 : 500, status.message());
  }

  InferResponse response{model, "1", id, std::move(outcome.outputs).value(), {}};
  std::vector<bool> binary;
  for (NamedTensor& output : response.outputs) {
    auto it = binary_by_output.find(output.name);
    binary.push_back(it != binary_by_output.end() ? it->second : binary_default);
    if (auto region = region_by_output.find(output.name); region != region_by_output.end()) {
      // Checked before the run; the region may have been unregistered since.
      if (Status written = shared_memory_->Write(region->second, output.tensor); !written.ok()) {
        metrics.Count(RequestOutcome::kInvalidInput);
        return ErrorReply(written.WithContext(fmt::format("output '{}'", output.name)));
      }
      response.shared_memory_outputs[output.name] =
          SharedMemoryRef{region->second.region, region->second.offset, output.tensor.nbytes()};
    }
  }
  EncodedBody encoded = EncodeInferResponse(response, binary);
  HttpReply reply;
  reply.marks.Mark("decoded", decoded_ns);
  reply.marks.Mark("ran", ran_ns);
  reply.marks.Mark("encoded", net::SteadyNanosecondsNow());
  reply.body = std::move(encoded.bytes);
  if (encoded.json_length) {
    reply.content_type = "application/octet-stream";
    reply.headers.emplace_back(kInferenceHeaderContentLength, std::to_string(*encoded.json_length));
  }
  metrics.ObserveSuccess(SecondsSince(start), outcome.queue_s, outcome.times);
  return reply;
}

HttpReply InferenceService::RepositoryIndex() const {
  json index = json::array();
  for (const ModelStatus& status : engine_->repository().Index()) {
    json entry{{"name", status.name}, {"version", "1"}, {"state", ModelStateName(status.state)}};
    if (!status.reason.empty()) entry["reason"] = status.reason;
    index.push_back(std::move(entry));
  }
  return JsonReply(index);
}

HttpReply InferenceService::RepositoryLoad(const std::string& model) {
  if (Status loaded = engine_->Load(model); !loaded.ok()) return ErrorReply(loaded);
  return JsonReply({{"name", model}, {"state", "READY"}});
}

HttpReply InferenceService::RepositoryUnload(const std::string& model) {
  if (Status unloaded = engine_->Unload(model); !unloaded.ok()) return ErrorReply(unloaded);
  return JsonReply({{"name", model}, {"state", "UNAVAILABLE"}});
}

std::optional<HttpReply> InferenceService::CheckSharedMemoryAllowed() const {
  if (shared_memory_ != nullptr) return std::nullopt;
  return ErrorReply(400,
                    "the system shared-memory extension is off on this server (the configuration's "
                    "server.allow_client_shared_memory turns it on)");
}

Status InferenceService::CheckSharedMemoryOutputs(const InferRequest& request,
                                                  const ServedModel& served) const {
  for (const RequestedOutput& output : request.outputs) {
    if (!output.shared_memory) continue;
    const std::string what = fmt::format("output '{}'", output.name);
    if (shared_memory_ == nullptr) {
      return Error(ErrorCode::kInvalidArgument,
                   "{}: asked into shared-memory region '{}', but the system shared-memory extension is not "
                   "enabled",
                   what, output.shared_memory->region);
    }
    MISSILE_RETURN_IF_ERROR(shared_memory_->CheckRange(*output.shared_memory).WithContext(what));
    for (const TensorSignature& signature : served.outputs()) {
      if (signature.name != output.name) continue;
      const bool known =
          std::all_of(signature.shape.begin(), signature.shape.end(), [](int64_t d) { return d >= 0; });
      const uint64_t bytes = known ? TensorByteSize(signature.dtype, signature.shape) : 0;
      if (bytes > output.shared_memory->byte_size) {
        return Error(ErrorCode::kInvalidArgument,
                     "{}: shared_memory_byte_size is {} bytes, too small for its {} bytes ({} {})", what,
                     output.shared_memory->byte_size, bytes, ShapeToString(signature.shape),
                     OipDatatypeName(signature.dtype));
      }
    }
  }
  return Status::Ok();
}

HttpReply InferenceService::SharedMemoryStatus(const std::string& region) const {
  if (auto refused = CheckSharedMemoryAllowed()) return *refused;
  auto regions = shared_memory_->List(region.empty() ? std::nullopt : std::optional<std::string>(region));
  if (!regions.ok()) return ErrorReply(regions.status());
  json list = json::array();
  for (const SharedMemoryRegionStatus& r : *regions) {
    list.push_back({{"name", r.name}, {"key", r.key}, {"offset", r.offset}, {"byte_size", r.byte_size}});
  }
  return JsonReply(list);
}

HttpReply InferenceService::SharedMemoryRegister(const std::string& region, std::string_view body) {
  if (auto refused = CheckSharedMemoryAllowed()) return *refused;
  const std::string what = fmt::format("register shared-memory region '{}'", region);
  Status registered = [&]() -> Status {
    MISSILE_ASSIGN_OR_RETURN(const RegionRequest request, ParseRegionRequest(body));
    return shared_memory_->Register(region, request.key, request.offset, request.byte_size);
  }();
  if (registered.ok()) return HttpReply{200, "application/json", "", {}, {}};
  // A key that names no object is the request's fault (400), not an unknown route.
  if (registered.code() == ErrorCode::kNotFound)
    return ErrorReply(400, registered.WithContext(what).message());
  return ErrorReply(registered.WithContext(what));
}

HttpReply InferenceService::SharedMemoryUnregister(const std::string& region) {
  if (auto refused = CheckSharedMemoryAllowed()) return *refused;
  if (region.empty()) {
    shared_memory_->UnregisterAll();
  } else if (Status unregistered = shared_memory_->Unregister(region); !unregistered.ok()) {
    return ErrorReply(unregistered);
  }
  return HttpReply{200, "application/json", "", {}, {}};
}

HttpReply InferenceService::Metrics() const {
  MetricsView view;
  view.version = kServerVersion;
  view.backend = config().backend;
  view.policy = policy_in_effect();
  view.tenants = config().tenants;
  view.tenant_states = engine_->executor().State();
  view.vram = engine_->quota().Snapshot();
  for (const ModelStatus& status : engine_->repository().Index()) {
    view.models.push_back({model_metrics_.at(status.name).get(), status.state == ModelState::kReady,
                           status.in_flight, status.footprint});
  }
  view.http_responses = http_responses_.Snapshot();
  std::map<pcie::TenantId, std::string> names;
  for (const auto& [name, id] : engine_->tenant_ids()) names.emplace(id, name);
  for (const auto& stats : engine_->transfers().Metrics(pcie::Direction::kHostToDevice)) {
    view.to_device.emplace(names.at(stats.tenant), stats);
  }
  for (const auto& stats : engine_->transfers().Metrics(pcie::Direction::kDeviceToHost)) {
    view.to_host.emplace(names.at(stats.tenant), stats);
  }
  if (const L2SetAsideServing* l2_setaside = engine_->l2_setaside()) {
    view.l2 = L2MetricsView{l2_setaside->persisting_limit(), l2_setaside->Report()};
  }
  view.resident_bytes = ResidentSetBytes();
  if (body_memory_->page_locked()) view.pinned_body_bytes = body_memory_->pinned_bytes();
  return HttpReply{200, "text/plain; version=0.0.4", RenderMetrics(view), {}, {}};
}

}  // namespace missile::server
