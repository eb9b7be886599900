// The L2 set-aside while serving: binds the coordinator (memory/l2_setaside_coordinator.h: who uses it now,
// the online trial of `auto` tenants) to the server's models and the per-tenant workers' requests, with the
// GPU side behind an L2SetAsideDevice.
//
// - ModelsChanged, after every load and unload: the loaded models and where their weights lie go to the
//   coordinator (a changed set starts `auto` tenants' trials again and resets persisting lines).
// - BeforeRun: the model's window follows its tenant's mode before its request runs.
// - AfterRun: the request's compute time (copies and kernels: what the set-aside can change, without the
//   queueing that the arrival pattern adds) and whether a BE tenant was busy meanwhile go to the trial.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "memory/l2_setaside_coordinator.h"
#include "server/l2_setaside_device.h"
#include "server/l2_setaside_settings.h"
#include "server/tenant_run_hooks.h"

namespace missile::server {

class L2SetAsideServing final : public TenantRunHooks {
 public:
  // `log` receives one line per event (may be empty).
  L2SetAsideServing(const L2SetAsideSettings& settings, const memory::L2CoordinatorOptions& options,
                    std::unique_ptr<L2SetAsideDevice> device, std::function<void(const std::string&)> log);

  // After a load or an unload: `loaded` lists the models loaded now; it is called under this object's lock,
  // so that concurrent loads and unloads reach the coordinator in the order they read the repository.
  void ModelsChanged(const std::function<std::vector<std::shared_ptr<ServedModel>>()>& loaded);

  void BeforeRun(const std::string& tenant, ServedModel& model) override;
  void AfterRun(const std::string& tenant, ServedModel& model, const TenantRun& run) override;

  std::vector<memory::L2TenantReport> Report() const { return coordinator_.Report(); }
  uint64_t persisting_limit() const { return coordinator_.persisting_limit(); }
  std::string Describe() const { return device_->Describe(); }

 private:
  const std::unique_ptr<L2SetAsideDevice> device_;
  std::set<std::string> with_set_aside_;  // tenants whose weights are planned for (mode on or auto)
  std::function<void(const std::string&)> log_;
  memory::L2SetAsideCoordinator coordinator_;
  std::mutex models_mutex_;
};

}  // namespace missile::server
