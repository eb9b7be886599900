// The compute-scheduling policies a server can be configured with (DESIGN.md, "Policies to implement side by
// side"). The server validates and reports the name; the compute scheduler (src/sched) implements them.
#pragma once

#include <string_view>

#include "core/status.h"

namespace missile::server {

enum class SchedulingPolicy { kTemporal, kShared, kPriority, kStatic, kOrion, kMissile };

Result<SchedulingPolicy> ParseSchedulingPolicy(std::string_view name);
const char* SchedulingPolicyName(SchedulingPolicy policy);

}  // namespace missile::server
