#include "server/executor_factory.h"

#include <set>

#include "server/per_tenant_workers.h"
#include "server/scheduled_executor.h"
#include "server/tenant_scheduling.h"

namespace missile::server {

Result<ExecutorChoice> MakeInferenceExecutor(const ServerConfig& config,
                                             const std::map<std::string, pcie::TenantId>& tenant_ids,
                                             DeviceTransfers& transfers, TenantRunHooks* hooks) {
  ExecutorChoice choice;
  auto device = MakeSchedulerDevice(config);
  if (!device.ok()) {
    if (device.status().code() != ErrorCode::kUnavailable) return device.status();
    std::set<std::string> best_effort;
    for (const TenantConfig& tenant : config.tenants) {
      if (tenant.tenant_class == TenantClass::kBestEffort) best_effort.insert(tenant.name);
    }
    choice.executor = std::make_unique<PerTenantWorkers>(tenant_ids, transfers, best_effort, hooks);
    choice.policy_in_effect = "shared";
    choice.tenants_compute_side_by_side = true;
    if (config.policy != "shared") {
      choice.notes.push_back(
          fmt::format("policy '{}' is NOT in effect on the {} backend: {}; each tenant runs its requests on "
                      "its own worker, "
                      "side by side with the others (the 'shared' behaviour)",
                      config.policy, config.backend, device.status().message()));
    } else {
      choice.notes.push_back(
          fmt::format("policy 'shared' on the {} backend: each tenant on its own worker ({})", config.backend,
                      device.status().message()));
    }
    return choice;
  }
  const std::string described = (*device)->Describe();
  const sched::GpuLayout layout = (*device)->layout();
  MISSILE_ASSIGN_OR_RETURN(
      auto executor, ScheduledExecutor::Create(config, tenant_ids, transfers, std::move(device).value()));
  choice.executor = std::move(executor);
  choice.policy_in_effect = config.policy;
  choice.notes.push_back(fmt::format("compute scheduler, policy '{}', on {}", config.policy, described));
  for (const TenantConfig& tenant : config.tenants) {
    choice.notes.push_back("tenant " + DescribeSchedulerTenant(SchedulerTenant(tenant, layout), layout));
  }
  return choice;
}

}  // namespace missile::server
