// Where a tenant is in its head request, estimated from its profile. A launch of several steps (a segment: an
// LS request replayed as one CUDA graph is one launch of all its kernels) shows the policy only its first
// kernel as `running` until the whole segment completes, so the kernel the GPU is on now is estimated: the
// segment's kernels are walked by their durations alone on the launch's partition until the time since the
// launch (less its pace) is used up. Without this, a policy would judge a whole LS request by its first
// kernel (docs/scheduling.md, "Segments").
#pragma once

#include <span>

#include "sched/scheduler_view.h"

namespace missile::sched {

struct WorkAhead {
  // The head request's kernels from the one estimated to run now (or to launch next) to its end.
  std::span<const KernelProfile> kernels;
  // Fraction of kernels[0] still to run, (0, 1]; 0 when the segment in flight has outrun its estimate (it
  // is about to complete).
  double first_left = 1.0;

  // The work ahead alone on `sms` SMs, microseconds.
  double DurationUs(const GpuLayout& layout, double sms) const;
};

WorkAhead EstimateWorkAhead(const TenantView& tenant, const GpuLayout& layout);

}  // namespace missile::sched
