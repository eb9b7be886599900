// The seam between the compute scheduler and a device: "run step i of request r into partition p at stream
// priority q", completion reported back. The CUDA device implements it with green-context streams, the CPU
// device with worker threads (cpu_partition_launcher.h), the simulator with a timing model (sim/).
#pragma once

#include <cstddef>
#include <span>

#include "core/status.h"
#include "sched/kernel_profile.h"
#include "sched/scheduler_view.h"

namespace missile::sched {

// One launch: step `step` of the request, or a segment of `steps` consecutive steps from it (a tenant whose
// TenantConfig::segment_steps is not 1), enqueued back to back into one stream. The policy decided on the
// segment's first kernel (`kernel`); the device runs them all before completing the launch.
struct KernelLaunch {
  TenantId tenant = 0;
  RequestId request = 0;
  size_t step = 0;        // index into the model's plan (and its profile's kernels): the segment's first
  size_t steps = 1;       // steps in this launch: [step, step + steps)
  size_t step_count = 0;  // steps in the model: step_count - 1 is the request's last
  GroupRange partition;
  int stream_priority = kLowestStreamPriority;
  // The device leaves the stream idle this long before the segment's first kernel (KernelDecision::pace_us).
  double pace_us = 0;
  const KernelProfile* kernel = nullptr;  // the first step's profile (timing models use it)
  // Every step's profile, [step, step + steps) (timing models run them in turn); empty where only `kernel`
  // is known.
  std::span<const KernelProfile> segment;

  bool first() const { return step == 0; }
  bool last() const { return step + steps == step_count; }
  bool whole_request() const { return first() && last(); }
};

class KernelListener {
 public:
  // Exactly once per launch, possibly on another thread, never from inside Launch().
  virtual void OnKernelDone(const KernelLaunch& launch, const Status& status) = 0;

 protected:
  ~KernelListener() = default;
};

class KernelLauncher {
 public:
  virtual ~KernelLauncher() = default;
  // Starts the kernel and returns without waiting; it runs after every kernel this tenant launched before
  // it (one stream per tenant). Errors come back through the listener.
  virtual void Launch(const KernelLaunch& launch, KernelListener& listener) = 0;
};

}  // namespace missile::sched
