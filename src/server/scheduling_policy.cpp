#include "server/scheduling_policy.h"

#include <utility>

namespace missile::server {
namespace {

constexpr std::pair<SchedulingPolicy, const char*> kPolicies[] = {
    {SchedulingPolicy::kTemporal, "temporal"}, {SchedulingPolicy::kShared, "shared"},
    {SchedulingPolicy::kPriority, "priority"}, {SchedulingPolicy::kStatic, "static"},
    {SchedulingPolicy::kOrion, "orion"},       {SchedulingPolicy::kMissile, "missile"},
};

}  // namespace

Result<SchedulingPolicy> ParseSchedulingPolicy(std::string_view name) {
  for (const auto& [policy, policy_name] : kPolicies) {
    if (name == policy_name) return policy;
  }
  return Error(ErrorCode::kInvalidArgument,
               "unknown policy '{}' (temporal, shared, priority, static, orion or missile)", name);
}

const char* SchedulingPolicyName(SchedulingPolicy policy) {
  for (const auto& [p, name] : kPolicies) {
    if (p == policy) return name;
  }
  return "unknown";
}

}  // namespace missile::server
