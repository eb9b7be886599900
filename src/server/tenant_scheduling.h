// A server tenant as the compute scheduler sees it: its class, its SM bounds in the GPU's SM groups, its
// priority. Pure, so the rounding is pinned by tests.
//
// Partitions are whole groups (8 SMs on the H200, the last group holding the remainder), so the configured SM
// counts are rounded: sm_min up (the tenant gets at least what it was promised), sm_max down (it never gets
// more than its cap), except that the cap never falls below the minimum or below one group. An sm_max of at
// least the GPU's SMs, or none, is the whole GPU.
#pragma once

#include <string>

#include "sched/tenant.h"
#include "server/server_config.h"

namespace missile::server {

sched::SmBounds SmBoundsInGroups(int sm_min, std::optional<int> sm_max, const sched::GpuLayout& layout);
sched::TenantConfig SchedulerTenant(const TenantConfig& tenant, const sched::GpuLayout& layout);
// "camera: LS, groups [1, 8] (8-64 SMs), priority 0", for the server's start-up lines.
std::string DescribeSchedulerTenant(const sched::TenantConfig& tenant, const sched::GpuLayout& layout);

}  // namespace missile::server
