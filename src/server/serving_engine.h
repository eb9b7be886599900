// What serves a configuration's models, without the protocol: the tenants' VRAM quotas, the host<->device
// transfer schedulers with each tenant's route for its sessions' copies (on the GPU), the model repository,
// the L2 set-aside of LS tenants where it is enabled, and the executor that runs requests (the compute
// scheduler, or per-tenant workers).
//
// The server (inference_service.h) puts the Open Inference Protocol in front of it, and `missile bench --mode
// inproc` submits decoded requests to it directly (loadgen/inproc_client.h). Both build it here, from the
// same configuration, so the in-process latency is the engine the server runs: same backend, model settings,
// transfer routes and executor, and the difference between the two is the server alone (HTTP, decoding,
// encoding).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "memory/vram_quota.h"
#include "server/device_transfers.h"
#include "server/inference_executor.h"
#include "server/l2_setaside_serving.h"
#include "server/model_repository.h"
#include "server/server_config.h"

namespace missile::server {

class ServingEngine {
 public:
  // Resolves the configuration's backend ("auto" to what this machine has), checks that every model can run
  // on it (CheckModelsRunOn), and builds the parts. Loads nothing.
  static Result<std::unique_ptr<ServingEngine>> Create(const ServerConfig& config);
  ~ServingEngine();
  ServingEngine(const ServingEngine&) = delete;
  ServingEngine& operator=(const ServingEngine&) = delete;

  // The configuration with its backend resolved.
  const ServerConfig& config() const { return config_; }

  // Loads (unloads) a declared model through the repository (its rules and errors: model_repository.h); after
  // a change, the device mechanisms that plan over the loaded models (the L2 set-aside) follow.
  Status Load(const std::string& model);
  Status Unload(const std::string& model);

  ModelRepository& repository() { return *repository_; }
  const ModelRepository& repository() const { return *repository_; }
  const memory::VramQuotaLedger& quota() const { return quota_; }
  const DeviceTransfers& transfers() const { return *transfers_; }
  const std::map<std::string, pcie::TenantId>& tenant_ids() const { return tenant_ids_; }
  const InferenceExecutor& executor() const { return *executor_; }
  // Null where no tenant sets L2 aside.
  const L2SetAsideServing* l2_setaside() const { return l2_.get(); }

  // The policy the executor applies: the configured one, or "shared" where the backend has no scheduler
  // device (executor_factory.h), with the lines that explain it.
  const std::string& policy_in_effect() const { return policy_in_effect_; }
  const std::vector<std::string>& executor_notes() const { return executor_notes_; }
  bool tenants_compute_side_by_side() const { return tenants_compute_side_by_side_; }

  // Runs a validated request of a loaded model on its tenant's executor and waits for it: the server's path
  // between decoding a request and encoding its response. kUnavailable when the executor refuses it (shutting
  // down); the engine's own failures are in the outcome.
  Result<JobOutcome> Run(std::shared_ptr<ServedModel> model, InferRequest request);

  // Runs what is still queued and stops the executor; later runs are refused.
  void Shutdown();

 private:
  explicit ServingEngine(ServerConfig config) : config_(std::move(config)) {}
  // Sets up the L2 set-aside of LS tenants where the settings enable it (l2_setaside_settings.h); its lines
  // for the start-up output go to `notes`.
  Status StartL2SetAside(std::vector<std::string>& notes);
  void ModelsChanged();

  const ServerConfig config_;
  memory::VramQuotaLedger quota_;
  std::unique_ptr<DeviceTransfers> transfers_;
  // Per tenant on the GPU: its sessions' copies go this way. After transfers_ (which they use), before the
  // repository (whose sessions use them).
  std::map<std::string, std::unique_ptr<runtime::TransferRoute>> routes_;
  std::map<std::string, pcie::TenantId> tenant_ids_;
  std::unique_ptr<ModelRepository> repository_;
  // Before the executor, whose threads call it; null where no tenant sets L2 aside.
  std::unique_ptr<L2SetAsideServing> l2_;
  std::unique_ptr<InferenceExecutor> executor_;
  std::string policy_in_effect_;
  std::vector<std::string> executor_notes_;
  bool tenants_compute_side_by_side_ = false;
};

}  // namespace missile::server
