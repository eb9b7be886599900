// A tenant as the compute scheduler keeps it: a model instance (the kernel sequence every request runs, with
// its profile), a class, SM bounds, a priority, and a queue of requests. A tenant runs one kernel at a time,
// in order: request after request, step after step. It decides nothing; the policy does.
//
// A tenant may also serve several models (a server tenant with more than one model loaded): each request then
// brings its model's profile, and the view shows the head request's.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "pcie/transfer_types.h"
#include "sched/kernel_launcher.h"
#include "sched/kernel_profile.h"
#include "sched/scheduler_view.h"

namespace missile::sched {

using pcie::Nanos;

struct TenantConfig {
  std::string name;
  TenantClass cls = TenantClass::kBestEffort;
  SmBounds bounds;
  int priority = 0;  // among tenants of one class: higher is more urgent
  // Steps released per launch (a segment); 0: the whole request at once. 1, the default, releases kernel by
  // kernel, which lets a policy re-decide at every kernel boundary (what BE tenants need). A longer segment
  // saves a host round trip per kernel (what an LS request of many short kernels needs on the GPU, where the
  // device can replay a whole request as one CUDA graph); the policy then decides once per segment and sees
  // its first kernel as `running` until the segment ends, with the time since the launch to estimate where
  // inside it the GPU is (work_ahead.h, docs/scheduling.md). Every device, the simulator too, runs segments.
  size_t segment_steps = 1;

  Status Validate() const;
};

// Runs once per request with its outcome.
using RequestCallback = std::function<void(RequestId, const Status&)>;

struct TenantStats {
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t kernels_launched = 0;
};

// What the tenant is doing at one instant, for metrics.
struct TenantActivity {
  size_t queued_requests = 0;  // not finished, the one in progress included
  bool request_started = false;
  std::optional<GroupRange> running_partition;  // where its kernel in flight runs, if one is
};

class Tenant {
 public:
  // `model` is what every request runs unless the request brings its own; null when every request does.
  Tenant(TenantId id, TenantConfig config, std::shared_ptr<const ModelProfile> model)
      : id_(id), config_(std::move(config)), model_(std::move(model)) {}

  TenantId id() const { return id_; }
  const TenantConfig& config() const { return config_; }
  // The tenant's own model; null for a tenant whose requests bring theirs.
  const std::shared_ptr<const ModelProfile>& model() const { return model_; }
  const TenantStats& stats() const { return stats_; }
  bool HasRequest(RequestId request) const;
  // Has a request whose next step can launch (nothing of its own in flight).
  bool ready() const { return !queue_.empty() && !running_.has_value(); }

  // `model` null: the tenant's own (which must then exist).
  void Enqueue(RequestId request, uint64_t arrival, Nanos submitted_at, RequestCallback on_done,
               std::shared_ptr<const ModelProfile> model = nullptr);
  // The launch of the head request's next step (or segment) into `partition`, paced by `pace_us`, at `now`;
  // the tenant then waits for its completion.
  KernelLaunch Launch(const GroupRange& partition, int stream_priority, double pace_us, Nanos now);
  // The kernel in flight finished. Returns the callback to run (with the request id) when that ended the
  // request: its last step, or a failure, which drops the request's remaining steps.
  std::optional<std::pair<RequestId, RequestCallback>> Complete(const Status& status);

  // What a policy sees of the tenant at `now` (how long its launch in flight has run).
  TenantView View(Nanos now) const;
  TenantActivity Activity() const;

 private:
  struct Request {
    RequestId id = 0;
    uint64_t arrival = 0;
    Nanos submitted_at{0};
    RequestCallback on_done;
    std::shared_ptr<const ModelProfile> model;  // never null
  };

  TenantId id_;
  TenantConfig config_;
  std::shared_ptr<const ModelProfile> model_;
  std::deque<Request> queue_;  // the head is the request in progress
  size_t next_step_ = 0;       // of the head request: the first step not launched yet
  size_t running_step_ = 0;    // the first step of the launch in flight
  std::optional<RunningKernel> running_;
  Nanos launched_at_{0};  // of the launch in flight
  TenantStats stats_;
};

}  // namespace missile::sched
