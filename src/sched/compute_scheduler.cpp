#include "sched/compute_scheduler.h"

#include <cmath>

namespace missile::sched {

ComputeScheduler::ComputeScheduler(const GpuLayout& layout, std::unique_ptr<SchedulingPolicy> policy,
                                   KernelLauncher& launcher, const pcie::Clock& clock)
    : layout_(layout), policy_(std::move(policy)), launcher_(launcher), clock_(clock) {}

Result<TenantId> ComputeScheduler::AddTenant(const TenantConfig& config,
                                             std::shared_ptr<const ModelProfile> model) {
  MISSILE_RETURN_IF_ERROR(config.Validate());
  if (model == nullptr) return Error(ErrorCode::kInvalidArgument, "tenant '{}' has no model", config.name);
  MISSILE_RETURN_IF_ERROR(model->Validate());
  if (model->layout.groups() != layout_.groups()) {
    return Error(ErrorCode::kInvalidArgument,
                 "tenant '{}': profile of '{}' has durations for {} SM groups, this GPU has {}", config.name,
                 model->model, model->layout.groups(), layout_.groups());
  }
  std::lock_guard lock(mutex_);
  const TenantId id = static_cast<TenantId>(tenants_.size());
  tenants_.push_back(std::make_unique<Tenant>(id, config, std::move(model)));
  return id;
}

Result<TenantId> ComputeScheduler::AddTenant(const TenantConfig& config) {
  MISSILE_RETURN_IF_ERROR(config.Validate());
  std::lock_guard lock(mutex_);
  const TenantId id = static_cast<TenantId>(tenants_.size());
  tenants_.push_back(std::make_unique<Tenant>(id, config, nullptr));
  return id;
}

Status ComputeScheduler::Submit(TenantId tenant, RequestId request, RequestCallback on_done) {
  return Enqueue(tenant, request, nullptr, std::move(on_done));
}

Status ComputeScheduler::SubmitOf(TenantId tenant, RequestId request,
                                  std::shared_ptr<const ModelProfile> model, RequestCallback on_done) {
  if (model == nullptr)
    return Error(ErrorCode::kInvalidArgument, "tenant {}: request {} has no model", tenant, request);
  if (model->layout.groups() != layout_.groups() || model->kernels.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "tenant {}: profile of '{}' has {} kernels with durations for {} SM groups; this GPU has {}",
                 tenant, model->model, model->kernels.size(), model->layout.groups(), layout_.groups());
  }
  return Enqueue(tenant, request, std::move(model), std::move(on_done));
}

Status ComputeScheduler::Enqueue(TenantId tenant, RequestId request,
                                 std::shared_ptr<const ModelProfile> model, RequestCallback on_done) {
  std::lock_guard lock(mutex_);
  Tenant* entry = Find(tenant);
  if (entry == nullptr) return Error(ErrorCode::kNotFound, "unknown tenant {}", tenant);
  if (model == nullptr && entry->model() == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 "tenant {} has no model of its own: submit its requests with theirs", tenant);
  }
  if (entry->HasRequest(request)) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: request {} is already queued", tenant, request);
  }
  entry->Enqueue(request, next_arrival_++, clock_.Now(), std::move(on_done), std::move(model));
  Pump();
  return Status::Ok();
}

void ComputeScheduler::OnKernelDone(const KernelLaunch& launch, const Status& status) {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mutex_);
    Tenant* entry = Find(launch.tenant);
    if (entry == nullptr) return;  // cannot happen: tenants are never removed
    if (auto done = entry->Complete(status)) completions.push_back(std::move(*done));
    Pump();
  }
  RunCallbacks(completions, status);
}

void ComputeScheduler::RunCallbacks(std::vector<Completion>& completions, const Status& status_for_all) {
  for (auto& [request, on_done] : completions) {
    if (on_done) on_done(request, status_for_all);
  }
}

void ComputeScheduler::Pump() {
  const SchedulerView view = BuildView();
  bool any_ready = false;
  for (const TenantView& t : view.tenants) any_ready |= t.ready();
  if (!any_ready) return;
  for (const KernelDecision& decision : policy_->Decide(view)) {
    if (decision.action != Action::kLaunch) continue;
    Tenant* entry = Find(decision.tenant);
    const bool valid = entry != nullptr && entry->ready() && !decision.partition.empty() &&
                       decision.partition.begin >= 0 && decision.partition.end <= layout_.groups() &&
                       decision.stream_priority >= kLowestStreamPriority &&
                       decision.stream_priority <= kHighestStreamPriority &&
                       std::isfinite(decision.pace_us) && decision.pace_us >= 0;
    if (!valid) {
      ++invalid_decisions_;
      continue;
    }
    launcher_.Launch(
        entry->Launch(decision.partition, decision.stream_priority, decision.pace_us, clock_.Now()), *this);
  }
}

SchedulerView ComputeScheduler::BuildView() const {
  SchedulerView view;
  view.layout = layout_;
  view.tenants.reserve(tenants_.size());
  const Nanos now = clock_.Now();
  for (const auto& tenant : tenants_) view.tenants.push_back(tenant->View(now));
  return view;
}

Tenant* ComputeScheduler::Find(TenantId tenant) {
  return tenant < tenants_.size() ? tenants_[tenant].get() : nullptr;
}

const Tenant* ComputeScheduler::Find(TenantId tenant) const {
  return tenant < tenants_.size() ? tenants_[tenant].get() : nullptr;
}

TenantStats ComputeScheduler::StatsOf(TenantId tenant) const {
  std::lock_guard lock(mutex_);
  const Tenant* entry = Find(tenant);
  return entry != nullptr ? entry->stats() : TenantStats{};
}

TenantActivity ComputeScheduler::ActivityOf(TenantId tenant) const {
  std::lock_guard lock(mutex_);
  const Tenant* entry = Find(tenant);
  return entry != nullptr ? entry->Activity() : TenantActivity{};
}

uint64_t ComputeScheduler::invalid_decisions() const {
  std::lock_guard lock(mutex_);
  return invalid_decisions_;
}

}  // namespace missile::sched
