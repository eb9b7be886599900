// Which executor serves the configured policy on the resolved backend, and what the server should say about
// it: the compute scheduler where the backend has a scheduler device (every policy honoured), else per-tenant
// workers (tenants side by side: the `shared` behaviour, whatever policy was configured).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "server/device_transfers.h"
#include "server/inference_executor.h"
#include "server/server_config.h"
#include "server/tenant_run_hooks.h"

namespace missile::server {

struct ExecutorChoice {
  std::unique_ptr<InferenceExecutor> executor;
  std::string policy_in_effect;    // the configured policy, or "shared" on per-tenant workers
  std::vector<std::string> notes;  // lines for the server's start-up output
  // Tenants compute at the same time on the host's cores (per-tenant workers); the CPU scheduler device
  // computes one kernel at a time instead. What the BLAS thread count is chosen by (blas_threads.h).
  bool tenants_compute_side_by_side = false;
};

// `config.backend` must be resolved ("cpu" or "cuda"). `hooks` (may be null) see every request the per-tenant
// workers run (the compute scheduler's executor has none: its requests run as the policy releases them).
Result<ExecutorChoice> MakeInferenceExecutor(const ServerConfig& config,
                                             const std::map<std::string, pcie::TenantId>& tenant_ids,
                                             DeviceTransfers& transfers, TenantRunHooks* hooks = nullptr);

}  // namespace missile::server
