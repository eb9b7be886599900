// The server's requests on the compute scheduler (src/sched): each server tenant is one scheduler tenant
// (class, SM bounds in groups, priority: tenant_scheduling.h) whose requests each bring their model's kernel
// profile, and the configured policy decides at every kernel boundary which tenant's next kernel runs, on
// which SMs, at which stream priority. The backend's SchedulerDevice runs the kernels.
//
// A request: its inputs cross to the device on the submitting thread (BindRequest), it is queued with the
// scheduler, its kernels run as the policy releases them, and on its last kernel's completion (on the
// device's thread) its outputs come back and the job's callback runs. Queue time runs from its submission to
// the scheduler (after its inputs crossed) to its first kernel's launch; compute time, from that launch to
// its last kernel's completion.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pcie/clock.h"
#include "sched/compute_scheduler.h"
#include "server/inference_executor.h"
#include "server/scheduler_device.h"

namespace missile::server {

class ScheduledExecutor final : public InferenceExecutor, private sched::KernelLauncher {
 public:
  // `tenant_ids` maps every tenant of `config` to its id with `transfers`, which must outlive this.
  static Result<std::unique_ptr<ScheduledExecutor>> Create(
      const ServerConfig& config, const std::map<std::string, pcie::TenantId>& tenant_ids,
      DeviceTransfers& transfers, std::unique_ptr<SchedulerDevice> device);
  ~ScheduledExecutor() override;

  Status Submit(InferenceJob job) override;
  std::vector<TenantRuntimeState> State() const override;
  // Waits for every request already submitted to finish, then refuses new ones.
  void Shutdown() override;

  const SchedulerDevice& device() const { return *device_; }
  const sched::ComputeScheduler& scheduler() const { return *scheduler_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct TenantEntry {
    std::string name;
    sched::TenantId id = 0;
    pcie::TenantId link_id = 0;
  };
  struct Pending {
    InferenceJob job;
    const TenantEntry* tenant = nullptr;
    Clock::time_point submitted;
    std::optional<Clock::time_point> first_launch;
    double to_device_s = 0;
  };

  ScheduledExecutor(DeviceTransfers& transfers, std::unique_ptr<SchedulerDevice> device)
      : transfers_(transfers), device_(std::move(device)) {}
  // KernelLauncher: notes each request's first launch (its queue time ends there), then hands the kernel to
  // the device. Called under the scheduler's lock.
  void Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) override;
  void Finish(sched::RequestId request, const Status& status);

  DeviceTransfers& transfers_;
  const std::unique_ptr<SchedulerDevice> device_;
  pcie::SteadyClock clock_;
  std::unique_ptr<sched::ComputeScheduler> scheduler_;  // destroyed before the device it launches on
  std::map<std::string, TenantEntry> tenants_;

  mutable std::mutex mutex_;
  std::condition_variable drained_;
  bool stopping_ = false;
  sched::RequestId next_request_ = 1;
  std::map<sched::RequestId, Pending> pending_;
};

}  // namespace missile::server
