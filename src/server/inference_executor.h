// Where the server hands a validated request over to be run: the seam between the protocol (server) and the
// decision of when and on what share of the device each tenant's work runs (the compute scheduler,
// src/sched).
//
// The server only submits jobs per tenant and reads back each tenant's state; everything about ordering and
// sharing lives behind this interface. Two implementations (executor_factory.h picks one):
// - ScheduledExecutor (scheduled_executor.h): the compute scheduler (src/sched) with the configured policy,
//   on the backend's scheduler device: every policy does what it says.
// - PerTenantWorkers (per_tenant_workers.h): a FIFO queue and one worker thread per tenant, tenants side by
//   side (the `shared` behaviour), for a backend whose scheduler device is not part of the build.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "server/device_transfers.h"
#include "server/served_model.h"
#include "server/server_metrics.h"

namespace missile::server {

struct JobOutcome {
  Result<std::vector<NamedTensor>> outputs;
  double queue_s = 0;  // submitted -> started
  ExecutionTimes times;
};

struct InferenceJob {
  std::shared_ptr<ServedModel> model;
  InferRequest request;
  // Runs exactly once: on an executor's thread, or inside Submit (a job refused there, or run on the caller's
  // thread because its tenant was idle).
  std::function<void(JobOutcome)> on_done;

  // Ends the job: drops its model and its request first, then calls on_done. The request's tensors may be
  // views of the connection's body buffer (body_buffer.h): once the caller hears of the outcome, the buffer
  // is free for the connection's next request instead of being replaced by a new one.
  void Complete(JobOutcome outcome) && {
    std::function<void(JobOutcome)> done = std::move(on_done);
    model.reset();
    request = {};
    done(std::move(outcome));
  }
};

class InferenceExecutor {
 public:
  virtual ~InferenceExecutor() = default;
  // Queues the job for the model's tenant. kUnavailable once shut down; on_done is not called then.
  virtual Status Submit(InferenceJob job) = 0;
  virtual std::vector<TenantRuntimeState> State() const = 0;
  // Runs every job already queued, then stops; later submissions are refused.
  virtual void Shutdown() = 0;
};

}  // namespace missile::server
