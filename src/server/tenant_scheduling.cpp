#include "server/tenant_scheduling.h"

namespace missile::server {

sched::SmBounds SmBoundsInGroups(int sm_min, std::optional<int> sm_max, const sched::GpuLayout& layout) {
  const int groups = layout.groups();
  sched::SmBounds bounds;
  bounds.min_groups = 0;
  while (bounds.min_groups < groups && layout.SmsInFirst(bounds.min_groups) < sm_min) ++bounds.min_groups;
  if (!sm_max || *sm_max >= layout.sms) {
    bounds.max_groups = sched::kAllGroups;
    return bounds;
  }
  int max_groups = 1;
  while (max_groups < groups && layout.SmsInFirst(max_groups + 1) <= *sm_max) ++max_groups;
  bounds.max_groups = std::max(max_groups, std::max(bounds.min_groups, 1));
  return bounds;
}

sched::TenantConfig SchedulerTenant(const TenantConfig& tenant, const sched::GpuLayout& layout) {
  sched::TenantConfig config;
  config.name = tenant.name;
  config.cls = tenant.tenant_class == TenantClass::kLatencySensitive ? sched::TenantClass::kLatencySensitive
                                                                     : sched::TenantClass::kBestEffort;
  config.bounds = SmBoundsInGroups(tenant.sm_min, tenant.sm_max, layout);
  config.priority = tenant.priority;
  return config;
}

std::string DescribeSchedulerTenant(const sched::TenantConfig& tenant, const sched::GpuLayout& layout) {
  const int max_groups = tenant.bounds.MaxOn(layout);
  return fmt::format("{}: {}, SM groups [{}, {}] ({}-{} SMs), priority {}", tenant.name,
                     sched::TenantClassName(tenant.cls), tenant.bounds.min_groups, max_groups,
                     layout.SmsInFirst(tenant.bounds.min_groups), layout.SmsInFirst(max_groups),
                     tenant.priority);
}

}  // namespace missile::server
