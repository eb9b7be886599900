#include "server/per_tenant_workers.h"

namespace missile::server {

PerTenantWorkers::PerTenantWorkers(const std::map<std::string, pcie::TenantId>& tenant_ids,
                                   DeviceTransfers& transfers)
    : transfers_(transfers) {
  for (const auto& [tenant, id] : tenant_ids) {
    auto worker = std::make_unique<Worker>();
    worker->tenant = tenant;
    worker->id = id;
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
  std::lock_guard lock(mutex_);
  if (stopping_) return Error(ErrorCode::kUnavailable, "the server is shutting down");
  auto it = workers_.find(job.model->tenant());
  if (it == workers_.end()) {
    return Error(ErrorCode::kInternal, "model '{}' belongs to unknown tenant '{}'", job.model->name(),
                 job.model->tenant());
  }
  it->second->queue.push_back({std::move(job), std::chrono::steady_clock::now()});
  it->second->wake.notify_one();
  return Status::Ok();
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
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [tenant, worker] : workers_) worker->wake.notify_all();
  }
  for (auto& [tenant, worker] : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void PerTenantWorkers::Work(Worker& worker) {
  std::unique_lock lock(mutex_);
  for (;;) {
    worker.wake.wait(lock, [&] { return stopping_ || !worker.queue.empty(); });
    if (worker.queue.empty()) return;  // stopping, and every queued job has run
    Queued next = std::move(worker.queue.front());
    worker.queue.pop_front();
    worker.running = true;
    ++running_tenants_;
    lock.unlock();

    const auto started = std::chrono::steady_clock::now();
    ExecutionTimes times;
    auto outputs = next.job.model->Execute(next.job.request, transfers_, worker.id, &times);
    JobOutcome outcome{std::move(outputs), std::chrono::duration<double>(started - next.submitted).count(),
                       times};
    next.job.on_done(std::move(outcome));
    next.job = {};  // drop the model reference before taking the lock again

    lock.lock();
    worker.running = false;
    --running_tenants_;
  }
}

}  // namespace missile::server
