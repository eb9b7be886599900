#include "sched/tenant.h"

#include <algorithm>
#include <cassert>

namespace missile::sched {

Status TenantConfig::Validate() const {
  if (bounds.min_groups < 0 || bounds.max_groups < 1 || bounds.min_groups > bounds.max_groups) {
    return Error(ErrorCode::kInvalidArgument,
                 "tenant '{}': SM bounds must satisfy 0 <= min <= max and max >= 1 (got [{}, {}] groups)",
                 name, bounds.min_groups, bounds.max_groups);
  }
  return Status::Ok();
}

bool Tenant::HasRequest(RequestId request) const {
  return std::any_of(queue_.begin(), queue_.end(), [&](const Request& r) { return r.id == request; });
}

void Tenant::Enqueue(RequestId request, uint64_t arrival, Nanos submitted_at, RequestCallback on_done,
                     std::shared_ptr<const ModelProfile> model) {
  assert(model != nullptr || model_ != nullptr);
  queue_.push_back({request, arrival, submitted_at, std::move(on_done), model ? std::move(model) : model_});
  ++stats_.submitted;
}

KernelLaunch Tenant::Launch(const GroupRange& partition, int stream_priority, double pace_us, Nanos now) {
  assert(!queue_.empty() && !running_.has_value());
  KernelLaunch launch;
  launch.tenant = id_;
  const ModelProfile& model = *queue_.front().model;
  launch.request = queue_.front().id;
  launch.step = next_step_;
  launch.step_count = model.kernels.size();
  const size_t left = launch.step_count - next_step_;
  launch.steps = config_.segment_steps == 0 ? left : std::min(config_.segment_steps, left);
  launch.partition = partition;
  launch.stream_priority = stream_priority;
  launch.pace_us = pace_us;
  launch.kernel = &model.kernels[next_step_];
  launch.segment = std::span<const KernelProfile>(model.kernels).subspan(next_step_, launch.steps);
  running_ = RunningKernel{launch.kernel, partition, stream_priority, launch.steps, 0, pace_us};
  launched_at_ = now;
  running_step_ = next_step_;
  next_step_ += launch.steps;
  stats_.kernels_launched += launch.steps;
  return launch;
}

std::optional<std::pair<RequestId, RequestCallback>> Tenant::Complete(const Status& status) {
  assert(!queue_.empty() && running_.has_value());
  running_.reset();
  if (status.ok() && next_step_ < queue_.front().model->kernels.size()) return std::nullopt;
  Request done = std::move(queue_.front());
  queue_.pop_front();
  next_step_ = 0;
  ++(status.ok() ? stats_.completed : stats_.failed);
  return std::make_pair(done.id, std::move(done.on_done));
}

TenantView Tenant::View(Nanos now) const {
  TenantView view;
  view.id = id_;
  view.cls = config_.cls;
  view.bounds = config_.bounds;
  view.priority = config_.priority;
  view.running = running_;
  if (view.running.has_value()) {
    view.running->elapsed_us = std::max(0.0, static_cast<double>((now - launched_at_).count()) * 1e-3);
  }
  view.queued_requests = queue_.size();
  if (model_ != nullptr) view.kernels = model_->kernels;
  if (!queue_.empty()) {
    const std::vector<KernelProfile>& kernels = queue_.front().model->kernels;
    view.kernels = kernels;
    view.head_arrival = queue_.front().arrival;
    view.request_started = next_step_ > 0;
    // The launch in flight starts at running_step_; otherwise next_step_ is about to go.
    const size_t from = running_.has_value() ? running_step_ : next_step_;
    view.upcoming = std::span<const KernelProfile>(kernels).subspan(from);
    if (!running_.has_value()) {
      view.next = &kernels[next_step_];
      const size_t left = kernels.size() - next_step_;
      view.next_steps = config_.segment_steps == 0 ? left : std::min(config_.segment_steps, left);
    }
  }
  return view;
}

TenantActivity Tenant::Activity() const {
  TenantActivity activity;
  activity.queued_requests = queue_.size();
  activity.request_started = !queue_.empty() && next_step_ > 0;
  if (running_.has_value()) activity.running_partition = running_->partition;
  return activity;
}

}  // namespace missile::sched
