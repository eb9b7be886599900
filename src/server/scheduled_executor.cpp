#include "server/scheduled_executor.h"

#include "sched/policy.h"
#include "server/tenant_scheduling.h"

namespace missile::server {
namespace {

double SecondsBetween(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Result<std::unique_ptr<ScheduledExecutor>> ScheduledExecutor::Create(
    const ServerConfig& config, const std::map<std::string, pcie::TenantId>& tenant_ids,
    DeviceTransfers& transfers, std::unique_ptr<SchedulerDevice> device) {
  if (device == nullptr) return Error(ErrorCode::kInvalidArgument, "the scheduled executor needs a device");
  std::unique_ptr<ScheduledExecutor> executor(new ScheduledExecutor(transfers, std::move(device)));
  const sched::GpuLayout layout = executor->device_->layout();
  MISSILE_ASSIGN_OR_RETURN(auto policy, sched::MakePolicy(config.policy));
  sched::KernelLauncher& launcher = *executor;
  executor->scheduler_ =
      std::make_unique<sched::ComputeScheduler>(layout, std::move(policy), launcher, executor->clock_);
  for (const TenantConfig& tenant : config.tenants) {
    auto link_id = tenant_ids.find(tenant.name);
    if (link_id == tenant_ids.end()) {
      return Error(ErrorCode::kInternal, "tenant '{}' has no PCIe transfer id", tenant.name);
    }
    sched::TenantConfig scheduled = SchedulerTenant(tenant, layout);
    scheduled.segment_steps = executor->device_->SegmentSteps(scheduled.cls);
    MISSILE_ASSIGN_OR_RETURN(sched::TenantId id, executor->scheduler_->AddTenant(scheduled));
    executor->tenants_.emplace(tenant.name, TenantEntry{tenant.name, id, link_id->second});
  }
  return executor;
}

ScheduledExecutor::~ScheduledExecutor() {
  Shutdown();
}

Status ScheduledExecutor::Submit(InferenceJob job) {
  const TenantEntry* tenant = nullptr;
  sched::RequestId request = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Error(ErrorCode::kUnavailable, "the server is shutting down");
    auto it = tenants_.find(job.model->tenant());
    if (it == tenants_.end()) {
      return Error(ErrorCode::kInternal, "model '{}' belongs to unknown tenant '{}'", job.model->name(),
                   job.model->tenant());
    }
    tenant = &it->second;
    request = next_request_++;
    // Registered before anything can complete it; Shutdown waits for it from here on.
    Pending& pending = pending_[request];
    pending.tenant = tenant;
  }
  // A request that ends here (refused, or with nothing to schedule) still ends through its callback.
  auto end_here = [&](InferenceJob ended, JobOutcome outcome) {
    {
      std::lock_guard lock(mutex_);
      pending_.erase(request);
      if (pending_.empty()) drained_.notify_all();
    }
    std::move(ended).Complete(std::move(outcome));
    return Status::Ok();
  };
  auto fail = [&](InferenceJob failed, const Status& status) {
    return end_here(std::move(failed), JobOutcome{status, 0, {}});
  };
  if (job.model->profile() == nullptr) {
    // A model without kernels has nothing to schedule: it runs whole, here.
    ExecutionTimes times;
    auto outputs = job.model->Execute(job.request, transfers_, tenant->link_id, &times);
    return end_here(std::move(job), JobOutcome{std::move(outputs), 0, times});
  }
  double to_device_s = 0;
  Status bound = device_->BindRequest(tenant->id, request, *job.model, job.request, transfers_,
                                      tenant->link_id, &to_device_s);
  if (!bound.ok()) return fail(std::move(job), bound);
  std::shared_ptr<const sched::ModelProfile> profile = job.model->profile();
  {
    std::lock_guard lock(mutex_);
    Pending& pending = pending_.at(request);
    pending.job = std::move(job);
    pending.to_device_s = to_device_s;
    pending.submitted = Clock::now();  // its wait for the scheduler starts now, after its inputs crossed
  }
  Status submitted = scheduler_->SubmitOf(tenant->id, request, std::move(profile),
                                          [this](sched::RequestId r, const Status& s) { Finish(r, s); });
  if (!submitted.ok()) {
    device_->Forget(tenant->id, request);
    InferenceJob taken;
    {
      std::lock_guard lock(mutex_);
      taken = std::move(pending_.at(request).job);
    }
    return fail(std::move(taken), submitted);
  }
  return Status::Ok();
}

void ScheduledExecutor::Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) {
  if (launch.first()) {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(launch.request);
    if (it != pending_.end()) it->second.first_launch = Clock::now();
  }
  device_->launcher().Launch(launch, listener);
}

void ScheduledExecutor::Finish(sched::RequestId request, const Status& status) {
  const auto finished = Clock::now();
  InferenceJob job;
  const TenantEntry* tenant;
  Clock::time_point submitted, first_launch;
  double to_device_s;
  {
    std::lock_guard lock(mutex_);
    Pending& pending = pending_.at(request);
    job = std::move(pending.job);
    tenant = pending.tenant;
    submitted = pending.submitted;
    first_launch = pending.first_launch.value_or(finished);
    to_device_s = pending.to_device_s;
  }
  ExecutionTimes times;
  times.to_device_s = to_device_s;
  times.compute_s = SecondsBetween(first_launch, finished);
  if (!status.ok()) device_->Forget(tenant->id, request);
  Result<std::vector<NamedTensor>> outputs =
      status.ok() ? device_->TakeOutputs(tenant->id, request, *job.model, job.request, transfers_,
                                         tenant->link_id, &times.to_host_s)
                  : Result<std::vector<NamedTensor>>(status);
  // The model's reference goes before the request stops counting as pending.
  std::move(job).Complete(JobOutcome{std::move(outputs), SecondsBetween(submitted, first_launch), times});
  std::lock_guard lock(mutex_);
  pending_.erase(request);
  if (pending_.empty()) drained_.notify_all();
}

std::vector<TenantRuntimeState> ScheduledExecutor::State() const {
  const sched::GpuLayout& layout = scheduler_->layout();
  std::vector<TenantRuntimeState> states;
  for (const auto& [name, tenant] : tenants_) {
    const sched::TenantActivity activity = scheduler_->ActivityOf(tenant.id);
    TenantRuntimeState state;
    state.tenant = name;
    state.running = activity.request_started || activity.running_partition.has_value();
    state.queued = activity.queued_requests - (state.running && activity.queued_requests > 0 ? 1 : 0);
    if (activity.running_partition) {
      state.compute_share =
          static_cast<double>(layout.SmsIn(*activity.running_partition)) / static_cast<double>(layout.sms);
    }
    states.push_back(std::move(state));
  }
  return states;
}

void ScheduledExecutor::Shutdown() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  drained_.wait(lock, [&] { return pending_.empty(); });
}

}  // namespace missile::server
