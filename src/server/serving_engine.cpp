#include "server/serving_engine.h"

#include <future>

#include "server/executor_factory.h"

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
  MISSILE_ASSIGN_OR_RETURN(ExecutorChoice executor,
                           MakeInferenceExecutor(engine->config_, engine->tenant_ids_, *engine->transfers_));
  engine->executor_ = std::move(executor.executor);
  engine->policy_in_effect_ = std::move(executor.policy_in_effect);
  engine->executor_notes_ = std::move(executor.notes);
  engine->tenants_compute_side_by_side_ = executor.tenants_compute_side_by_side;
  return engine;
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
