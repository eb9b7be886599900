#include "server/inference_service.h"

#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "server/executor_factory.h"
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
  return HttpReply{http_status, "application/json", json{{"error", message}}.dump(), {}};
}

HttpReply ErrorReply(const Status& status) {
  return ErrorReply(HttpStatusFor(status.code()), status.message());
}

namespace {

HttpReply JsonReply(const json& body, int status = 200) {
  return HttpReply{status, "application/json", body.dump(), {}};
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

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::unique_ptr<InferenceService>> InferenceService::Create(const ServerConfig& config) {
  MISSILE_ASSIGN_OR_RETURN(runtime::BackendChoice backend, runtime::ResolveBackend(config.backend));
  ServerConfig resolved = config;
  resolved.backend = backend.backend;
  MISSILE_RETURN_IF_ERROR(CheckModelsRunOn(resolved, resolved.backend));
  std::unique_ptr<InferenceService> service(new InferenceService(std::move(resolved)));
  // On the GPU every host<->device copy of a tenant's sessions (weights at load, request inputs and outputs)
  // goes through the link's transfer scheduler, by the tenant's route; on the CPU backend the server copies
  // through the host-memcpy engine itself (ServedModel::Execute).
  const bool on_gpu = backend.backend == "cuda";
  if (on_gpu) {
    MISSILE_ASSIGN_OR_RETURN(service->transfers_, DeviceTransfers::CreateCuda());
  } else {
    MISSILE_ASSIGN_OR_RETURN(service->transfers_, DeviceTransfers::CreateHostMemcpy());
  }
  pcie::TenantId next_id = 1;
  for (const TenantConfig& tenant : service->config_.tenants) {
    MISSILE_RETURN_IF_ERROR(service->quota_.AddTenant(tenant.name, tenant.vram_quota_bytes));
    MISSILE_ASSIGN_OR_RETURN(pcie::TenantParams params,
                             pcie::TenantParams::FromNice(
                                 tenant.pcie_nice, tenant.tenant_class == TenantClass::kLatencySensitive));
    MISSILE_RETURN_IF_ERROR(service->transfers_->AddTenant(next_id, params));
    if (on_gpu) service->routes_.emplace(tenant.name, service->transfers_->RouteFor(next_id));
    service->tenant_ids_.emplace(tenant.name, next_id++);
  }
  for (const ModelConfig& model : service->config_.models) {
    service->model_metrics_.emplace(model.name, std::make_unique<ModelMetrics>(model.name, model.tenant));
  }
  runtime::SessionOptions options;
  options.backend = backend.backend;
  std::map<std::string, runtime::TransferRoute*> routes;
  for (const auto& [tenant, route] : service->routes_) routes.emplace(tenant, route.get());
  service->repository_ =
      std::make_unique<ModelRepository>(service->config_, service->quota_, options, std::move(routes));
  MISSILE_RETURN_IF_ERROR(service->StartL2SetAside());
  MISSILE_ASSIGN_OR_RETURN(ExecutorChoice executor,
                           MakeInferenceExecutor(service->config_, service->tenant_ids_, *service->transfers_,
                                                 service->l2_.get()));
  service->executor_ = std::move(executor.executor);
  service->policy_in_effect_ = std::move(executor.policy_in_effect);
  service->executor_notes_.insert(service->executor_notes_.begin(), executor.notes.begin(),
                                  executor.notes.end());
  service->tenants_compute_side_by_side_ = executor.tenants_compute_side_by_side;
  return service;
}

Status InferenceService::StartL2SetAside() {
  MISSILE_ASSIGN_OR_RETURN(L2SetAsideSettings settings, ResolveL2SetAside(config_));
  executor_notes_ = settings.notes;
  if (!settings.any_enabled) return Status::Ok();
  auto device = MakeL2SetAsideDevice();
  if (!device.ok()) {
    // A tenant that asked for it gets an error; defaults run without, saying so.
    for (const TenantConfig& tenant : config_.tenants) {
      if ((tenant.l2_setaside && *tenant.l2_setaside != memory::L2SetAsideMode::kOff) ||
          tenant.l2_setaside_bytes) {
        return device.status().WithContext(fmt::format("tenant '{}': the L2 set-aside", tenant.name));
      }
    }
    executor_notes_.push_back("L2 set-aside: unavailable, every tenant runs without: " +
                              device.status().message());
    return Status::Ok();
  }
  executor_notes_.push_back("L2 set-aside: " + (*device)->Describe());
  l2_ = std::make_unique<L2SetAsideServing>(
      settings, config_.l2_trial, std::move(device).value(), [](const std::string& line) {
        // Request threads log here: whole lines, one at a time.
        static std::mutex mutex;
        std::lock_guard lock(mutex);
        std::cout << "missile serve: L2 set-aside: " << line << std::endl;
      });
  return Status::Ok();
}

void InferenceService::ModelsChanged() {
  if (l2_) l2_->ModelsChanged([this] { return repository_->LoadedModels(); });
}

InferenceService::~InferenceService() {
  Shutdown();
}

void InferenceService::Shutdown() {
  shutting_down_ = true;
  if (executor_) executor_->Shutdown();
}

Status InferenceService::LoadStartupModels() {
  for (const ModelConfig& model : config_.models) {
    if (model.load_at_start) {
      Status loaded = repository_->Load(model.name);
      if (!loaded.ok()) {
        ModelsChanged();
        return loaded;
      }
    }
  }
  ModelsChanged();
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
  return JsonReply(
      {{"name", kServerName},
       {"version", kServerVersion},
       {"extensions", {"binary_tensor_data", "model_repository", "model_configuration", "metrics"}}});
}

std::optional<HttpReply> InferenceService::CheckModelAndVersion(const std::string& model,
                                                                const std::string& version) const {
  if (repository_->Config(model) == nullptr) {
    return ErrorReply(404, fmt::format("unknown model '{}'", model));
  }
  if (!version.empty() && version != "1") {
    return ErrorReply(404, fmt::format("model '{}' has no version '{}' (it has version 1)", model, version));
  }
  return std::nullopt;
}

HttpReply InferenceService::ModelMetadata(const std::string& model, const std::string& version) const {
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  auto lease = repository_->Acquire(model);
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
  auto status = repository_->Lookup(model);
  if (!status.ok()) return ErrorReply(status.status());
  const bool ready = status->state == ModelState::kReady;
  return JsonReply({{"name", model}, {"ready", ready}}, ready ? 200 : 400);
}

HttpReply InferenceService::ModelConfiguration(const std::string& model, const std::string& version) const {
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  const ModelConfig& config = *repository_->Config(model);
  const TenantConfig& tenant = *config_.FindTenant(config.tenant);
  auto status = repository_->Lookup(model);
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
    if (l2_) {
      for (const memory::L2TenantReport& report : l2_->Report()) {
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
            {"backend", config_.backend},
            {"policy", config_.policy},
            {"policy_in_effect", policy_in_effect_},
            {"state", ModelStateName(status->state)},
            {"load_at_start", config.load_at_start},
            {"precision", std::string(runtime::PrecisionName(config.gpu.precision))},
            {"cuda_graph", config.gpu.cuda_graph},
            {"tf32", config.gpu.allow_tf32},
            {"tenant", tenant_json}};
  if (!status->reason.empty()) body["reason"] = status->reason;
  if (status->footprint) body["vram"] = FootprintJson(*status->footprint);
  if (status->state == ModelState::kReady) {
    if (auto lease = repository_->Acquire(model); lease.ok()) {
      body["inputs"] = SignatureJson(lease->model()->inputs());
      body["outputs"] = SignatureJson(lease->model()->outputs());
      body["kernels"] = lease->model()->kernel_count();
    }
  }
  return JsonReply(body);
}

HttpReply InferenceService::Infer(const std::string& model, const std::string& version,
                                  std::optional<std::string_view> header_length, std::string_view body) {
  const auto start = std::chrono::steady_clock::now();
  if (auto error = CheckModelAndVersion(model, version)) return *error;
  ModelMetrics& metrics = *model_metrics_.at(model);
  auto lease = repository_->Acquire(model);
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
  auto request = DecodeInferRequest(body, json_length);
  if (!request.ok()) {
    metrics.Count(RequestOutcome::kInvalidInput);
    return ErrorReply(request.status());
  }
  if (Status valid = served->Validate(*request); !valid.ok()) {
    metrics.Count(RequestOutcome::kInvalidInput);
    return ErrorReply(valid);
  }

  // Which outputs go binary, decided before the request moves into the job.
  std::map<std::string, bool> binary_by_output;
  for (const RequestedOutput& output : request->outputs) {
    binary_by_output[output.name] = output.binary.value_or(request->binary_data_output);
  }
  const bool binary_default = request->binary_data_output;
  const std::string id = request->id;

  std::promise<JobOutcome> promise;
  std::future<JobOutcome> done = promise.get_future();
  InferenceJob job{served, std::move(request).value(),
                   [&promise](JobOutcome outcome) { promise.set_value(std::move(outcome)); }};
  if (Status submitted = executor_->Submit(std::move(job)); !submitted.ok()) return ErrorReply(submitted);
  JobOutcome outcome = done.get();
  if (!outcome.outputs.ok()) {
    metrics.Count(RequestOutcome::kExecutionError);
    const Status& status = outcome.outputs.status();
    return ErrorReply(status.code() == ErrorCode::kInvalidArgument ? 400 : 500, status.message());
  }

  InferResponse response{model, "1", id, std::move(outcome.outputs).value()};
  std::vector<bool> binary;
  for (const NamedTensor& output : response.outputs) {
    auto it = binary_by_output.find(output.name);
    binary.push_back(it != binary_by_output.end() ? it->second : binary_default);
  }
  EncodedBody encoded = EncodeInferResponse(response, binary);
  HttpReply reply;
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
  for (const ModelStatus& status : repository_->Index()) {
    json entry{{"name", status.name}, {"version", "1"}, {"state", ModelStateName(status.state)}};
    if (!status.reason.empty()) entry["reason"] = status.reason;
    index.push_back(std::move(entry));
  }
  return JsonReply(index);
}

HttpReply InferenceService::RepositoryLoad(const std::string& model) {
  if (Status loaded = repository_->Load(model); !loaded.ok()) return ErrorReply(loaded);
  ModelsChanged();
  return JsonReply({{"name", model}, {"state", "READY"}});
}

HttpReply InferenceService::RepositoryUnload(const std::string& model) {
  if (Status unloaded = repository_->Unload(model); !unloaded.ok()) return ErrorReply(unloaded);
  ModelsChanged();
  return JsonReply({{"name", model}, {"state", "UNAVAILABLE"}});
}

HttpReply InferenceService::Metrics() const {
  MetricsView view;
  view.version = kServerVersion;
  view.backend = config_.backend;
  view.policy = policy_in_effect_;
  view.tenants = config_.tenants;
  view.tenant_states = executor_->State();
  view.vram = quota_.Snapshot();
  for (const ModelStatus& status : repository_->Index()) {
    view.models.push_back({model_metrics_.at(status.name).get(), status.state == ModelState::kReady,
                           status.in_flight, status.footprint});
  }
  view.http_responses = http_responses_.Snapshot();
  std::map<pcie::TenantId, std::string> names;
  for (const auto& [name, id] : tenant_ids_) names.emplace(id, name);
  for (const auto& stats : transfers_->Metrics(pcie::Direction::kHostToDevice)) {
    view.to_device.emplace(names.at(stats.tenant), stats);
  }
  for (const auto& stats : transfers_->Metrics(pcie::Direction::kDeviceToHost)) {
    view.to_host.emplace(names.at(stats.tenant), stats);
  }
  if (l2_) view.l2 = L2MetricsView{l2_->persisting_limit(), l2_->Report()};
  view.resident_bytes = ResidentSetBytes();
  return HttpReply{200, "text/plain; version=0.0.4", RenderMetrics(view), {}};
}

}  // namespace missile::server
