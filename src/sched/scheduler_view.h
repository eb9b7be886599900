// What a scheduling policy sees and what it answers: the abstract view the compute scheduler builds at every
// event (a request arrives, a kernel completes) and the decisions it gets back. Policies are pure functions
// of this view, so the GPU, the CPU device and the simulator all run the same decisions, and tests can pin
// them on hand-built scenarios.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sched/kernel_profile.h"
#include "sched/sm_layout.h"

namespace missile::sched {

using TenantId = uint32_t;
using RequestId = uint64_t;

// Latency-sensitive tenants must see close to their latency alone; best-effort tenants take what is left.
enum class TenantClass { kLatencySensitive, kBestEffort };
const char* TenantClassName(TenantClass cls);  // "LS", "BE"
Result<TenantClass> ParseTenantClass(std::string_view name);

// Stream priorities handed out by policies: 0 is the lowest, 5 the highest. The CUDA device maps level p to
// CUDA stream priority -p (the H200 offers 0 .. -5, -5 the greatest).
inline constexpr int kLowestStreamPriority = 0;
inline constexpr int kHighestStreamPriority = 5;

// A tenant's SM share in groups: never less than min_groups while it has work (where the policy guarantees
// shares at all), never more than max_groups. kAllGroups means the whole GPU.
inline constexpr int kAllGroups = 1 << 20;
struct SmBounds {
  int min_groups = 0;
  int max_groups = kAllGroups;

  int MaxOn(const GpuLayout& layout) const { return std::min(max_groups, layout.groups()); }
  int MinOn(const GpuLayout& layout) const { return std::min(min_groups, MaxOn(layout)); }
};

// A tenant's launch in flight: one kernel, or a segment of `steps` kernels run back to back (an LS request
// replayed as one CUDA graph is one launch of all its steps).
struct RunningKernel {
  const KernelProfile* kernel = nullptr;  // the launch's first kernel
  GroupRange partition;
  int stream_priority = kLowestStreamPriority;
  size_t steps = 1;       // kernels in the launch: upcoming[0, steps)
  double elapsed_us = 0;  // since the launch, when the view was built: how far into the segment it may be
  double pace_us = 0;     // GPU idle time the launch waits before its first kernel (KernelDecision::pace_us)
};

// What a BE tenant's kernels were measured to do beside LS on a partition (contention_observation.h derives
// it from a run): measured numbers, which missile's bandwidth regulation prefers to the contention model's.
struct ContentionObservation {
  int be_groups = 0;                       // BE's partition [0, be_groups) when it was measured
  double ls_slowdown_while_running = 1.0;  // LS's kernels while a BE kernel runs, against LS alone
  double be_stretch = 1.0;                 // BE's kernel beside LS, against alone
};

struct TenantView {
  TenantId id = 0;
  TenantClass cls = TenantClass::kBestEffort;
  SmBounds bounds;
  int priority = 0;  // among tenants of one class: higher is more urgent
  // The kernel the tenant would launch now: set when its head request has kernels left and none in flight
  // (a tenant runs one kernel at a time, in order).
  const KernelProfile* next = nullptr;
  // Kernels the next launch covers (its segment: upcoming[0, next_steps)); 1 unless the tenant launches
  // several steps at a time (TenantConfig::segment_steps).
  size_t next_steps = 1;
  // Its kernel in flight, if any.
  std::optional<RunningKernel> running;
  // The rest of the head request from the launch in flight's first kernel (or `next`) on, in order: what it
  // will run soon. Where in a running segment the GPU is now, policies estimate from `running->elapsed_us`
  // (EstimateWorkAhead, policy_support.h).
  std::span<const KernelProfile> upcoming;
  // The model's kernels, one per step: what every request runs (for a tenant serving several models, the
  // head request's model, standing in for the requests queued behind it).
  std::span<const KernelProfile> kernels;
  bool request_started = false;  // the head request has launched a kernel and not finished
  uint64_t head_arrival = 0;     // arrival order of the head request among all tenants' requests
  size_t queued_requests = 0;    // requests not finished, the head included
  // BE tenants: its kernels' measured effect beside the LS tenants now active, if the device measured one.
  std::optional<ContentionObservation> observed;

  bool ready() const { return next != nullptr; }
  // Has work queued or running: for an LS tenant, "LS is active".
  bool busy() const { return next != nullptr || running.has_value(); }
  bool latency_sensitive() const { return cls == TenantClass::kLatencySensitive; }
};

struct SchedulerView {
  GpuLayout layout;
  std::vector<TenantView> tenants;
};

enum class Action { kLaunch, kHold };

// What to do with a ready tenant's next kernel: launch it now into `partition` at `stream_priority`, or hold
// it until the next event. A launch may be paced: the device leaves the tenant's stream idle for `pace_us`
// before the kernel starts (a duty cycle: how missile throttles a BE tenant's DRAM traffic below what its
// smallest partition pulls; the SMs stay the tenant's meanwhile).
struct KernelDecision {
  TenantId tenant = 0;
  Action action = Action::kHold;
  GroupRange partition;
  int stream_priority = kLowestStreamPriority;
  double pace_us = 0;

  static KernelDecision Launch(TenantId tenant, GroupRange partition, int stream_priority,
                               double pace_us = 0) {
    return {tenant, Action::kLaunch, partition, stream_priority, pace_us};
  }
  static KernelDecision Hold(TenantId tenant) {
    return {tenant, Action::kHold, {}, kLowestStreamPriority, 0};
  }
  bool operator==(const KernelDecision&) const = default;
};

// One decision per ready tenant, in the view's tenant order.
using Decisions = std::vector<KernelDecision>;

std::string DescribeDecision(
    const KernelDecision& decision);  // "tenant 2: launch [0,17) prio 5 [pace 10 us]"

}  // namespace missile::sched
