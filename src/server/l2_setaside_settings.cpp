#include "server/l2_setaside_settings.h"

#include "memory/vram_quota.h"

namespace missile::server {

Result<L2SetAsideSettings> ResolveL2SetAside(const ServerConfig& config) {
  std::string unavailable;
  if (config.backend != "cuda") {
    unavailable = fmt::format("the {} backend has no GPU L2 to set aside", config.backend);
  } else if (config.gpu_scheduler) {
    unavailable =
        "server.gpu_scheduler runs requests on the compute scheduler's partition streams, which the "
        "set-aside "
        "is not wired into (it works on the per-tenant workers, server.gpu_scheduler false)";
  }
  L2SetAsideSettings settings;
  for (const TenantConfig& tenant : config.tenants) {
    if (tenant.tenant_class != TenantClass::kLatencySensitive) continue;
    const bool asks = (tenant.l2_setaside && *tenant.l2_setaside != memory::L2SetAsideMode::kOff) ||
                      tenant.l2_setaside_bytes;
    if (!unavailable.empty() && asks) {
      return Error(ErrorCode::kInvalidArgument, "tenant '{}': the L2 set-aside is not available: {}",
                   tenant.name, unavailable);
    }
    memory::L2TenantSetting setting{tenant.name, memory::L2SetAsideMode::kOff, tenant.l2_setaside_bytes};
    std::string why;
    if (tenant.l2_setaside) {
      setting.mode = *tenant.l2_setaside;
      why = "configured";
    } else if (unavailable.empty() && config.policy == "missile") {
      setting.mode = memory::L2SetAsideMode::kAuto;
      why = "the default for LS tenants under policy missile";
    } else if (unavailable.empty() && tenant.l2_setaside_bytes) {
      setting.mode = memory::L2SetAsideMode::kAuto;
      why = "l2_setaside_size given";
    } else {
      why = unavailable.empty() ? fmt::format("the default under policy {}", config.policy) : "unavailable";
    }
    if (setting.mode != memory::L2SetAsideMode::kOff) settings.any_enabled = true;
    if (unavailable.empty()) {
      settings.notes.push_back(fmt::format(
          "L2 set-aside: tenant {} {} ({}){}", tenant.name, memory::L2SetAsideModeName(setting.mode), why,
          setting.max_bytes ? ", at most " + memory::FormatBytes(*setting.max_bytes) : ""));
    }
    settings.tenants.push_back(std::move(setting));
  }
  if (!unavailable.empty() && !settings.tenants.empty()) {
    settings.notes.push_back("L2 set-aside: unavailable: " + unavailable);
  }
  return settings;
}

}  // namespace missile::server
