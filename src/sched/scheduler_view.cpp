#include "sched/scheduler_view.h"

#include <fmt/format.h>

namespace missile::sched {

const char* TenantClassName(TenantClass cls) {
  return cls == TenantClass::kLatencySensitive ? "LS" : "BE";
}

Result<TenantClass> ParseTenantClass(std::string_view name) {
  if (name == "LS" || name == "ls") return TenantClass::kLatencySensitive;
  if (name == "BE" || name == "be") return TenantClass::kBestEffort;
  return Error(ErrorCode::kInvalidArgument, "unknown tenant class '{}' (LS or BE)", name);
}

std::string DescribeDecision(const KernelDecision& decision) {
  if (decision.action == Action::kHold) return fmt::format("tenant {}: hold", decision.tenant);
  std::string text = fmt::format("tenant {}: launch {} prio {}", decision.tenant,
                                 decision.partition.ToString(), decision.stream_priority);
  if (decision.pace_us > 0) text += fmt::format(" pace {:.1f} us", decision.pace_us);
  return text;
}

}  // namespace missile::sched
