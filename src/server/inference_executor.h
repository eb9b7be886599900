// Where the server hands a validated request over to be run: the seam between the protocol (server) and the
// decision of when and on what share of the device each tenant's work runs (the compute scheduler,
// src/sched).
//
// The server only submits jobs per tenant and reads back each tenant's state; everything about ordering and
// sharing lives behind this interface. PerTenantWorkers is the CPU backend's executor until the scheduler's
// policies land: each tenant gets a FIFO queue and one worker thread, and tenants run side by side as the OS
// schedules them (the `shared` policy's behaviour, whatever policy is configured).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
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
  // Runs exactly once, on the executor's thread (or inside Submit when the job is refused there).
  std::function<void(JobOutcome)> on_done;
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

class PerTenantWorkers final : public InferenceExecutor {
 public:
  // Each tenant's transfers go through `transfers` under its id in `tenant_ids`, which must outlive this.
  PerTenantWorkers(const std::map<std::string, pcie::TenantId>& tenant_ids, DeviceTransfers& transfers);
  ~PerTenantWorkers() override;

  Status Submit(InferenceJob job) override;
  std::vector<TenantRuntimeState> State() const override;
  void Shutdown() override;

 private:
  struct Queued {
    InferenceJob job;
    std::chrono::steady_clock::time_point submitted;
  };
  struct Worker {
    std::string tenant;
    pcie::TenantId id = 0;
    std::deque<Queued> queue;
    bool running = false;
    std::condition_variable wake;
    std::thread thread;
  };

  void Work(Worker& worker);

  DeviceTransfers& transfers_;
  mutable std::mutex mutex_;
  bool stopping_ = false;
  int running_tenants_ = 0;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
};

}  // namespace missile::server
