// The executor for a backend without a scheduler device: each tenant gets a FIFO queue and one worker thread
// that runs its requests whole (ServedModel::Execute), and tenants run side by side as the OS and the device
// schedule them. A request for an idle tenant runs on the submitting thread itself (no hand-off); the worker
// takes the requests that queue behind a running one. That is the `shared` policy's behaviour whatever policy
// is configured, so the server says which policy is in effect when it uses this (executor_factory.h).
//
// Hooks (tenant_run_hooks.h), when given, run before and after each request on the thread running it, with
// whether a BE tenant was busy (a request running or queued) at any time while it ran: busy at its start, or
// a BE request submitted before it ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "server/inference_executor.h"
#include "server/tenant_run_hooks.h"

namespace missile::server {

class PerTenantWorkers final : public InferenceExecutor {
 public:
  // Each tenant's transfers go through `transfers` under its id in `tenant_ids`, which must outlive this, as
  // must `hooks` (may be null). `best_effort`: the BE tenants, whose activity makes others' runs contended.
  PerTenantWorkers(const std::map<std::string, pcie::TenantId>& tenant_ids, DeviceTransfers& transfers,
                   const std::set<std::string>& best_effort = {}, TenantRunHooks* hooks = nullptr);
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
    bool best_effort = false;
    bool contended = false;  // a BE tenant was busy during its running request
    std::condition_variable wake;
    std::thread thread;
  };

  void Work(Worker& worker);
  // Runs the job whole and calls its callback; outside the lock.
  void Run(Worker& worker, InferenceJob job, double queue_s);
  void BeginRunning(Worker& worker);  // with the lock held
  void EndRunning(Worker& worker);    // with the lock held
  bool AnyBestEffortBusy() const;     // with the lock held

  DeviceTransfers& transfers_;
  TenantRunHooks* const hooks_;
  mutable std::mutex mutex_;
  bool stopping_ = false;
  int running_tenants_ = 0;
  int inline_running_ = 0;  // jobs running on their submitters' threads
  std::condition_variable inline_done_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
};

}  // namespace missile::server
