#include "server/per_tenant_workers.h"

namespace missile::server {

PerTenantWorkers::PerTenantWorkers(const std::map<std::string, pcie::TenantId>& tenant_ids,
                                   DeviceTransfers& transfers, const std::set<std::string>& best_effort,
                                   TenantRunHooks* hooks)
    : transfers_(transfers), hooks_(hooks) {
  for (const auto& [tenant, id] : tenant_ids) {
    auto worker = std::make_unique<Worker>();
    worker->tenant = tenant;
    worker->id = id;
    worker->best_effort = best_effort.count(tenant) > 0;
    workers_.emplace(tenant, std::move(worker));
  }
  // Threads start once every worker exists: Work() reads running_tenants_ across workers under the lock.
  for (auto& [tenant, worker] : workers_) {
    Worker* w = worker.get();
    w->thread = std::thread([this, w] { Work(*w); });
  }
}

PerTenantWorkers::~PerTenantWorkers() {
  Shutdown();
}

Status PerTenantWorkers::Submit(InferenceJob job) {
  std::unique_lock lock(mutex_);
  if (stopping_) return Error(ErrorCode::kUnavailable, "the server is shutting down");
  auto it = workers_.find(job.model->tenant());
  if (it == workers_.end()) {
    return Error(ErrorCode::kInternal, "model '{}' belongs to unknown tenant '{}'", job.model->name(),
                 job.model->tenant());
  }
  Worker& worker = *it->second;
  if (worker.best_effort) {
    // BE work from now on: every request running now had a BE tenant busy beside it.
    for (auto& [name, other] : workers_) {
      if (other->running) other->contended = true;
    }
  }
  if (worker.running || !worker.queue.empty()) {
    worker.queue.push_back({std::move(job), std::chrono::steady_clock::now()});
    worker.wake.notify_one();
    return Status::Ok();
  }
  // The tenant is idle: its request runs here, on the caller's thread, instead of waking the worker and
  // waiting to be woken back (two thread hand-offs, ~100 us each on the H200 machine; docs/results/
  // server-overhead-h200-2026-11-26.md). Requests that arrive meanwhile queue behind it for the worker, so
  // the tenant's order stays first come, first served.
  BeginRunning(worker);
  ++inline_running_;
  lock.unlock();
  Run(worker, std::move(job), 0);
  lock.lock();
  EndRunning(worker);
  if (--inline_running_ == 0) inline_done_.notify_all();
  // The worker waits while the tenant runs here: for what queued meanwhile, or to stop.
  if (!worker.queue.empty() || stopping_) worker.wake.notify_one();
  return Status::Ok();
}

bool PerTenantWorkers::AnyBestEffortBusy() const {
  for (const auto& [name, worker] : workers_) {
    if (worker->best_effort && (worker->running || !worker->queue.empty())) return true;
  }
  return false;
}

void PerTenantWorkers::BeginRunning(Worker& worker) {
  worker.running = true;
  worker.contended = AnyBestEffortBusy();
  ++running_tenants_;
}

void PerTenantWorkers::EndRunning(Worker& worker) {
  worker.running = false;
  --running_tenants_;
}

void PerTenantWorkers::Run(Worker& worker, InferenceJob job, double queue_s) {
  if (hooks_ != nullptr) hooks_->BeforeRun(worker.tenant, *job.model);
  ExecutionTimes times;
  auto outputs = job.model->Execute(job.request, transfers_, worker.id, &times);
  if (hooks_ != nullptr && outputs.ok()) {
    bool contended;
    {
      std::lock_guard lock(mutex_);
      contended = worker.contended;
    }
    hooks_->AfterRun(worker.tenant, *job.model, {times.compute_s, contended});
  }
  // Drops the model reference (before the tenant counts as idle again) and the request's tensors.
  std::move(job).Complete(JobOutcome{std::move(outputs), queue_s, times});
}

std::vector<TenantRuntimeState> PerTenantWorkers::State() const {
  std::lock_guard lock(mutex_);
  std::vector<TenantRuntimeState> states;
  for (const auto& [tenant, worker] : workers_) {
    // Tenants running at once share the CPU's cores about evenly under the OS scheduler.
    const double share = worker->running ? 1.0 / std::max(1, running_tenants_) : 0.0;
    states.push_back({tenant, worker->queue.size(), worker->running, share});
  }
  return states;
}

void PerTenantWorkers::Shutdown() {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      for (auto& [tenant, worker] : workers_) worker->wake.notify_all();
    }
    // Requests running on their callers' threads finish before the executor may go.
    inline_done_.wait(lock, [&] { return inline_running_ == 0; });
  }
  for (auto& [tenant, worker] : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void PerTenantWorkers::Work(Worker& worker) {
  std::unique_lock lock(mutex_);
  for (;;) {
    // A request running on its caller's thread keeps the tenant busy: wait for it, then take the queue.
    worker.wake.wait(lock, [&] { return (stopping_ || !worker.queue.empty()) && !worker.running; });
    if (worker.queue.empty()) return;  // stopping, and every queued job has run
    Queued next = std::move(worker.queue.front());
    worker.queue.pop_front();
    BeginRunning(worker);
    lock.unlock();
    Run(worker, std::move(next.job),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - next.submitted).count());
    lock.lock();
    EndRunning(worker);
  }
}

}  // namespace missile::server
