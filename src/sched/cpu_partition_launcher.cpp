#include "sched/cpu_partition_launcher.h"

#include <chrono>

namespace missile::sched {

void CpuPartitionLauncher::PriorityGate::Acquire(int priority) {
  std::unique_lock lock(mutex_);
  const std::pair<int, uint64_t> key{-priority, next_ticket_++};
  waiting_.emplace(key, true);
  changed_.wait(lock, [&] { return !busy_ && waiting_.begin()->first == key; });
  waiting_.erase(key);
  busy_ = true;
}

void CpuPartitionLauncher::PriorityGate::Release() {
  {
    std::lock_guard lock(mutex_);
    busy_ = false;
  }
  changed_.notify_all();
}

CpuPartitionLauncher::CpuPartitionLauncher(const GpuLayout& layout, bool stretch_time)
    : layout_(layout), stretch_time_(stretch_time) {}

CpuPartitionLauncher::~CpuPartitionLauncher() {
  // Nothing adds streams any more; workers may still record into compute_order_, so no lock is held while
  // joining them.
  for (auto& [tenant, stream] : streams_) {
    {
      std::lock_guard stream_lock(stream->mutex);
      stream->stopping = true;
    }
    stream->wake.notify_all();
  }
  for (auto& [tenant, stream] : streams_) stream->worker.join();
}

CpuPartitionLauncher::Stream& CpuPartitionLauncher::StreamOf(TenantId tenant) {
  std::lock_guard lock(streams_mutex_);
  std::unique_ptr<Stream>& stream = streams_[tenant];
  if (stream == nullptr) {
    stream = std::make_unique<Stream>();
    Stream* raw = stream.get();
    stream->worker = std::thread([this, raw] { Work(*raw); });
  }
  return *stream;
}

Status CpuPartitionLauncher::AddModel(TenantId tenant, runtime::CpuExecutable& executable) {
  Stream& stream = StreamOf(tenant);
  std::lock_guard lock(stream.mutex);
  if (stream.executable != nullptr) {
    return Error(ErrorCode::kInvalidArgument, "tenant {} already has a model on the CPU device", tenant);
  }
  stream.executable = &executable;
  return Status::Ok();
}

Status CpuPartitionLauncher::SetInputs(TenantId tenant, RequestId request, std::vector<Tensor> inputs) {
  runtime::CpuExecutable* executable;
  {
    Stream& stream = StreamOf(tenant);
    std::lock_guard lock(stream.mutex);
    executable = stream.executable;
  }
  if (executable == nullptr) {
    return Error(ErrorCode::kFailedPrecondition, "tenant {} has no model on the CPU device", tenant);
  }
  return SetRequest(tenant, request, *executable, std::move(inputs));
}

Status CpuPartitionLauncher::SetRequest(TenantId tenant, RequestId request,
                                        runtime::CpuExecutable& executable, std::vector<Tensor> inputs) {
  if (inputs.size() != executable.graph().inputs().size()) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: {} inputs given, the model takes {}", tenant,
                 inputs.size(), executable.graph().inputs().size());
  }
  Stream& stream = StreamOf(tenant);
  std::lock_guard lock(stream.mutex);
  if (!stream.inputs.emplace(request, RequestData{&executable, std::move(inputs)}).second) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: request {} already has inputs", tenant, request);
  }
  return Status::Ok();
}

void CpuPartitionLauncher::DropRequest(TenantId tenant, RequestId request) {
  Stream& stream = StreamOf(tenant);
  std::lock_guard lock(stream.mutex);
  stream.inputs.erase(request);
}

Result<std::vector<Tensor>> CpuPartitionLauncher::TakeOutputs(TenantId tenant, RequestId request) {
  Stream& stream = StreamOf(tenant);
  std::lock_guard lock(stream.mutex);
  auto it = stream.outputs.find(request);
  if (it == stream.outputs.end()) {
    return Error(ErrorCode::kNotFound, "tenant {}: request {} has no outputs (not finished?)", tenant,
                 request);
  }
  std::vector<Tensor> outputs = std::move(it->second);
  stream.outputs.erase(it);
  return outputs;
}

void CpuPartitionLauncher::Launch(const KernelLaunch& launch, KernelListener& listener) {
  Stream& stream = StreamOf(launch.tenant);
  {
    std::lock_guard lock(stream.mutex);
    stream.queue.emplace_back(launch, &listener);
  }
  stream.wake.notify_one();
}

std::vector<std::pair<TenantId, size_t>> CpuPartitionLauncher::ComputeOrder() const {
  std::lock_guard lock(order_mutex_);
  return {compute_order_.begin(), compute_order_.end()};
}

Status CpuPartitionLauncher::Compute(Stream& stream, const KernelLaunch& launch) {
  runtime::CpuExecutable* executable;
  std::vector<Tensor> inputs;
  {
    std::lock_guard lock(stream.mutex);
    if (launch.first()) {
      stream.current = nullptr;
      auto it = stream.inputs.find(launch.request);
      if (it == stream.inputs.end()) {
        return Error(ErrorCode::kFailedPrecondition, "tenant {}: request {} was launched without inputs",
                     launch.tenant, launch.request);
      }
      stream.current = it->second.executable;
      inputs = std::move(it->second.inputs);
      stream.inputs.erase(it);
    }
    executable = stream.current;
    if (executable == nullptr) {
      return Error(ErrorCode::kFailedPrecondition, "tenant {} has no model on the CPU device", launch.tenant);
    }
    if (launch.step_count != executable->step_count()) {
      return Error(ErrorCode::kInvalidArgument, "tenant {}: the profile has {} kernels, the model {} steps",
                   launch.tenant, launch.step_count, executable->step_count());
    }
  }
  if (launch.first()) {
    std::vector<const Tensor*> pointers;
    for (const Tensor& t : inputs) pointers.push_back(&t);
    executable->SetInputs(pointers);
  }
  for (size_t step = launch.step; step < launch.step + launch.steps; ++step) {
    MISSILE_RETURN_IF_ERROR(executable->RunStep(step));
  }
  if (launch.last()) {
    std::vector<Tensor> outputs = executable->Outputs();
    std::lock_guard lock(stream.mutex);
    stream.outputs[launch.request] = std::move(outputs);
  }
  return Status::Ok();
}

void CpuPartitionLauncher::Work(Stream& stream) {
  while (true) {
    std::pair<KernelLaunch, KernelListener*> item;
    {
      std::unique_lock lock(stream.mutex);
      stream.wake.wait(lock, [&] { return stream.stopping || !stream.queue.empty(); });
      if (stream.queue.empty()) return;  // stopping, and everything launched has run
      item = stream.queue.front();
      stream.queue.pop_front();
    }
    const KernelLaunch& launch = item.first;
    // A paced launch idles its stream first, without holding the CPU (the SMs stay the tenant's).
    if (launch.pace_us > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(launch.pace_us));
    }
    gate_.Acquire(launch.stream_priority);
    {
      std::lock_guard lock(order_mutex_);
      if (compute_order_.size() == kComputeOrderKept) compute_order_.pop_front();
      compute_order_.emplace_back(launch.tenant, launch.step);
    }
    const auto start = std::chrono::steady_clock::now();
    const Status status = Compute(stream, launch);
    const auto computed = std::chrono::steady_clock::now() - start;
    gate_.Release();
    const int partition_sms = layout_.SmsIn(launch.partition);
    if (stretch_time_ && status.ok() && partition_sms > 0 && partition_sms < layout_.sms) {
      const double factor = static_cast<double>(layout_.sms) / partition_sms - 1.0;
      std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(computed * factor));
    }
    item.second->OnKernelDone(launch, status);
  }
}

}  // namespace missile::sched
