// The policies by name.
#include <fmt/ranges.h>

#include <cmath>

#include "sched/missile_policy.h"
#include "sched/orion_policy.h"
#include "sched/policy.h"
#include "sched/priority_policy.h"
#include "sched/shared_policy.h"
#include "sched/static_policy.h"
#include "sched/temporal_policy.h"

namespace missile::sched {

Status PolicyOptions::Validate() const {
  if (!(missile_slowdown_budget >= 0) || !std::isfinite(missile_slowdown_budget)) {
    return Error(ErrorCode::kInvalidArgument, "missile slowdown budget must be >= 0, got {}",
                 missile_slowdown_budget);
  }
  if (orion_sm_threshold < 0) {
    return Error(ErrorCode::kInvalidArgument, "orion SM threshold must be >= 0, got {}", orion_sm_threshold);
  }
  if (contention == nullptr)
    return Error(ErrorCode::kInvalidArgument, "policy options need a contention model");
  return Status::Ok();
}

const std::vector<std::string>& PolicyNames() {
  static const std::vector<std::string> names = {"temporal", "shared", "priority",
                                                 "static",   "orion",  "missile"};
  return names;
}

Result<std::unique_ptr<SchedulingPolicy>> MakePolicy(std::string_view name, const PolicyOptions& options) {
  MISSILE_RETURN_IF_ERROR(options.Validate());
  if (name == "temporal") return std::unique_ptr<SchedulingPolicy>(new TemporalPolicy());
  if (name == "shared") return std::unique_ptr<SchedulingPolicy>(new SharedPolicy());
  if (name == "priority") return std::unique_ptr<SchedulingPolicy>(new PriorityPolicy());
  if (name == "static") return std::unique_ptr<SchedulingPolicy>(new StaticPolicy());
  if (name == "orion") return std::unique_ptr<SchedulingPolicy>(new OrionPolicy(options.orion_sm_threshold));
  if (name == "missile") {
    return std::unique_ptr<SchedulingPolicy>(
        new MissilePolicy(options.missile_slowdown_budget, *options.contention));
  }
  return Error(ErrorCode::kInvalidArgument, "unknown scheduling policy '{}' (known: {})", name,
               fmt::join(PolicyNames(), ", "));
}

}  // namespace missile::sched
