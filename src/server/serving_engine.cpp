#include "server/serving_engine.h"

#include <future>
#include <iostream>
#include <mutex>

#include "server/executor_factory.h"
#include "server/l2_setaside_device.h"
#include "server/l2_setaside_settings.h"

namespace missile::server {

Result<std::unique_ptr<ServingEngine>> ServingEngine::Create(const ServerConfig& config) {
  MISSILE_ASSIGN_OR_RETURN(runtime::BackendChoice backend, runtime::ResolveBackend(config.backend));
  ServerConfig resolved = config;
  resolved.backend = backend.backend;
  MISSILE_RETURN_IF_ERROR(CheckModelsRunOn(resolved, resolved.backend));
  std::unique_ptr<ServingEngine> engine(new ServingEngine(std::move(resolved)));
  // On the GPU every host<->device copy of a tenant's sessions (weights at load, request inputs and outputs)
  // goes through the link's transfer scheduler, by the tenant's route; on the CPU backend the server copies
  // through the host-memcpy engine itself (ServedModel::Execute).
  const bool on_gpu = engine->config_.backend == "cuda";
  if (on_gpu) {
    MISSILE_ASSIGN_OR_RETURN(engine->transfers_, DeviceTransfers::CreateCuda());
  } else {
    MISSILE_ASSIGN_OR_RETURN(engine->transfers_, DeviceTransfers::CreateHostMemcpy());
  }
  pcie::TenantId next_id = 1;
  for (const TenantConfig& tenant : engine->config_.tenants) {
    MISSILE_RETURN_IF_ERROR(engine->quota_.AddTenant(tenant.name, tenant.vram_quota_bytes));
    MISSILE_ASSIGN_OR_RETURN(pcie::TenantParams params,
                             pcie::TenantParams::FromNice(
                                 tenant.pcie_nice, tenant.tenant_class == TenantClass::kLatencySensitive));
    MISSILE_RETURN_IF_ERROR(engine->transfers_->AddTenant(next_id, params));
    if (on_gpu) engine->routes_.emplace(tenant.name, engine->transfers_->RouteFor(next_id));
    engine->tenant_ids_.emplace(tenant.name, next_id++);
  }
  runtime::SessionOptions options;
  options.backend = engine->config_.backend;
  std::map<std::string, runtime::TransferRoute*> routes;
  for (const auto& [tenant, route] : engine->routes_) routes.emplace(tenant, route.get());
  engine->repository_ =
      std::make_unique<ModelRepository>(engine->config_, engine->quota_, options, std::move(routes));
  std::vector<std::string> l2_notes;
  MISSILE_RETURN_IF_ERROR(engine->StartL2SetAside(l2_notes));
  MISSILE_ASSIGN_OR_RETURN(
      ExecutorChoice executor,
      MakeInferenceExecutor(engine->config_, engine->tenant_ids_, *engine->transfers_, engine->l2_.get()));
  engine->executor_ = std::move(executor.executor);
  engine->policy_in_effect_ = std::move(executor.policy_in_effect);
  engine->executor_notes_ = std::move(executor.notes);
  engine->executor_notes_.insert(engine->executor_notes_.end(), l2_notes.begin(), l2_notes.end());
  engine->tenants_compute_side_by_side_ = executor.tenants_compute_side_by_side;
  return engine;
}

Status ServingEngine::StartL2SetAside(std::vector<std::string>& notes) {
  MISSILE_ASSIGN_OR_RETURN(L2SetAsideSettings settings, ResolveL2SetAside(config_));
  notes = settings.notes;
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
    notes.push_back("L2 set-aside: unavailable, every tenant runs without: " + device.status().message());
    return Status::Ok();
  }
  notes.push_back("L2 set-aside: " + (*device)->Describe());
  l2_ = std::make_unique<L2SetAsideServing>(
      settings, config_.l2_trial, std::move(device).value(), [](const std::string& line) {
        // Request threads log here: whole lines, one at a time.
        static std::mutex mutex;
        std::lock_guard lock(mutex);
        std::cout << "missile serve: L2 set-aside: " << line << std::endl;
      });
  return Status::Ok();
}

Status ServingEngine::Load(const std::string& model) {
  MISSILE_RETURN_IF_ERROR(repository_->Load(model));
  ModelsChanged();
  return Status::Ok();
}

Status ServingEngine::Unload(const std::string& model) {
  MISSILE_RETURN_IF_ERROR(repository_->Unload(model));
  ModelsChanged();
  return Status::Ok();
}

void ServingEngine::ModelsChanged() {
  if (l2_) l2_->ModelsChanged([this] { return repository_->LoadedModels(); });
}

ServingEngine::~ServingEngine() {
  Shutdown();
}

void ServingEngine::Shutdown() {
  if (executor_) executor_->Shutdown();
}

Result<JobOutcome> ServingEngine::Run(std::shared_ptr<ServedModel> model, InferRequest request) {
  std::promise<JobOutcome> promise;
  std::future<JobOutcome> done = promise.get_future();
  InferenceJob job{std::move(model), std::move(request),
                   [&promise](JobOutcome outcome) { promise.set_value(std::move(outcome)); }};
  MISSILE_RETURN_IF_ERROR(executor_->Submit(std::move(job)));
  return done.get();
}

}  // namespace missile::server
