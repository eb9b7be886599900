// The compute scheduler: tenants, their request queues, a policy deciding and a launcher doing. At every
// event (a request submitted, a kernel completed) it builds the policy's view, asks the policy, and launches
// what the policy releases; held kernels are asked about again at the next event. It is the one executor for
// every device: the CUDA device, the CPU device and the simulator plug in through KernelLauncher.
//
// Threads: every method may be called from any thread; completions may arrive on the launcher's threads.
// Launches are issued under the scheduler's lock (a launcher never calls back from inside Launch, so this
// cannot deadlock), request callbacks run after it is released.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/status.h"
#include "pcie/clock.h"
#include "sched/kernel_launcher.h"
#include "sched/policy.h"
#include "sched/tenant.h"

namespace missile::sched {

class ComputeScheduler final : private KernelListener {
 public:
  // `launcher` and `clock` must outlive the scheduler.
  ComputeScheduler(const GpuLayout& layout, std::unique_ptr<SchedulingPolicy> policy,
                   KernelLauncher& launcher, const pcie::Clock& clock);

  // The model's profile must match the layout (one duration per group count).
  Result<TenantId> AddTenant(const TenantConfig& config, std::shared_ptr<const ModelProfile> model);
  // A tenant without a model of its own: each of its requests names the model it runs (SubmitOf).
  Result<TenantId> AddTenant(const TenantConfig& config);
  // Queues one inference of the tenant's model; `request` must not be queued already for this tenant (the
  // launcher keys the request's data by it). `on_done` runs once the last kernel has completed.
  Status Submit(TenantId tenant, RequestId request, RequestCallback on_done = nullptr);
  // Queues one inference of `model` (validated, matching the layout) for the tenant, which may serve several.
  Status SubmitOf(TenantId tenant, RequestId request, std::shared_ptr<const ModelProfile> model,
                  RequestCallback on_done = nullptr);

  TenantStats StatsOf(TenantId tenant) const;
  TenantActivity ActivityOf(TenantId tenant) const;
  // Decisions the scheduler refused because they broke the rules (a launch for a tenant that was not ready,
  // an empty or out-of-range partition): a policy bug, counted and treated as a hold.
  uint64_t invalid_decisions() const;
  const SchedulingPolicy& policy() const { return *policy_; }
  const GpuLayout& layout() const { return layout_; }

 private:
  using Completion = std::pair<RequestId, RequestCallback>;

  void OnKernelDone(const KernelLaunch& launch, const Status& status) override;
  // Asks the policy once and launches what it releases. Called with mutex_ held.
  void Pump();
  SchedulerView BuildView() const;
  Status Enqueue(TenantId tenant, RequestId request, std::shared_ptr<const ModelProfile> model,
                 RequestCallback on_done);
  Tenant* Find(TenantId tenant);
  const Tenant* Find(TenantId tenant) const;
  static void RunCallbacks(std::vector<Completion>& completions, const Status& status_for_all);

  const GpuLayout layout_;
  const std::unique_ptr<SchedulingPolicy> policy_;
  KernelLauncher& launcher_;
  const pcie::Clock& clock_;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Tenant>> tenants_;  // in the order added: the view's order
  uint64_t next_arrival_ = 0;
  uint64_t invalid_decisions_ = 0;
};

}  // namespace missile::sched
