// Which LS tenants may set L2 aside on this server, in which mode: the configuration's choices resolved
// against the backend and the executor (pure; docs/server.md, "The L2 set-aside").
//
// The set-aside needs the GPU's L2 and the per-tenant workers, which run each request whole on its model's
// own stream, where a window can be set between two requests. So:
// - CUDA backend, per-tenant workers: an LS tenant without `l2_setaside` gets `auto` when the policy is
//   `missile` (Missile's policy uses the set-aside where it helps, and finds that out by trying) or when it
//   gives `l2_setaside_size` (it asked for one); otherwise `off`.
// - CPU backend (no GPU L2) or `server.gpu_scheduler` (requests run on the compute scheduler's partition
//   streams, which the set-aside is not wired into): `off`, and a tenant that asks for `on`, `auto` or a size
//   is refused, naming the reason, rather than silently served without.
#pragma once

#include <string>
#include <vector>

#include "memory/l2_setaside_coordinator.h"
#include "server/server_config.h"

namespace missile::server {

struct L2SetAsideSettings {
  std::vector<memory::L2TenantSetting> tenants;  // every LS tenant, in configuration order, mode resolved
  bool any_enabled = false;                      // some tenant is `on` or `auto`
  std::vector<std::string> notes;                // for the server's start-up output
};

// `config.backend` must be resolved ("cpu" or "cuda").
Result<L2SetAsideSettings> ResolveL2SetAside(const ServerConfig& config);

}  // namespace missile::server
