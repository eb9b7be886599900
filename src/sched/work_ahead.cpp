#include "sched/work_ahead.h"

#include <algorithm>

namespace missile::sched {

double WorkAhead::DurationUs(const GpuLayout& layout, double sms) const {
  double us = 0;
  for (size_t i = 0; i < kernels.size(); ++i) {
    us += kernels[i].DurationUs(layout, sms) * (i == 0 ? first_left : 1.0);
  }
  return us;
}

WorkAhead EstimateWorkAhead(const TenantView& tenant, const GpuLayout& layout) {
  WorkAhead ahead{tenant.upcoming, 1.0};
  if (!tenant.running.has_value() || tenant.upcoming.empty()) return ahead;
  const RunningKernel& running = *tenant.running;
  const double sms = layout.SmsIn(running.partition);
  const size_t steps = std::clamp<size_t>(running.steps, 1, tenant.upcoming.size());
  double left_us = running.elapsed_us - running.pace_us;  // GPU time the segment has had
  if (left_us <= 0 || sms <= 0) return ahead;
  for (size_t i = 0; i < steps; ++i) {
    const double duration = tenant.upcoming[i].DurationUs(layout, sms);
    if (left_us < duration) return {tenant.upcoming.subspan(i), 1.0 - left_us / duration};
    left_us -= duration;
  }
  // Slower than its profile: the segment's last kernel is taken as finishing now.
  return {tenant.upcoming.subspan(steps - 1), 0.0};
}

}  // namespace missile::sched
