#include "server/cuda/cuda_scheduler_device.h"

#include <algorithm>
#include <thread>

#include "device/gpu_info.h"
#include "runtime/cuda/cuda_executable.h"
#include "sched/cuda/green_partition_streams.h"

namespace missile::server {

Result<std::unique_ptr<CudaSchedulerDevice>> CudaSchedulerDevice::Create() {
  MISSILE_ASSIGN_OR_RETURN(std::vector<device::GpuInfo> gpus, device::QueryGpus());
  if (gpus.empty()) return Error(ErrorCode::kUnavailable, "no GPU found");
  const sched::GpuLayout layout{gpus[0].sm_count, 8};
  std::unique_ptr<sched::cuda::PartitionStreams> streams;
  auto green = sched::cuda::GreenPartitionStreams::Create(layout);
  if (green.ok()) {
    streams = std::move(green).value();
  } else {
    streams = std::make_unique<sched::cuda::WholeGpuStreams>(green.status().message());
  }
  return std::unique_ptr<CudaSchedulerDevice>(new CudaSchedulerDevice(layout, std::move(streams)));
}

CudaSchedulerDevice::CudaSchedulerDevice(const sched::GpuLayout& layout,
                                         std::unique_ptr<sched::cuda::PartitionStreams> streams)
    : layout_(layout),
      streams_(std::move(streams)),
      launcher_(std::make_unique<sched::cuda::CudaKernelLauncher>(*streams_)) {}

CudaSchedulerDevice::~CudaSchedulerDevice() {
  launcher_.reset();  // completes what is in flight, while the routes and streams still exist
}

std::string CudaSchedulerDevice::Describe() const {
  return fmt::format("the GPU ({} SMs in groups of {}; {})", layout_.sms, layout_.sms_per_group,
                     streams_->description());
}

// LS requests whole (one graph); BE one step per launch: in the colocation benchmark on the H200 that took
// LS's p99 from 1.10-1.16x of alone (two steps) to 1.07-1.09x for 0.72-0.74 of BE's throughput instead of
// 0.79 (docs/results/colocation-h200-2026-11-26.md, session 7).
size_t CudaSchedulerDevice::SegmentSteps(sched::TenantClass cls) const {
  return cls == sched::TenantClass::kLatencySensitive ? 0 : 1;
}

Result<sched::TenantId> CudaSchedulerDevice::SlotOf(const ServedModel& model) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(model.instance_id());
  if (it != slots_.end()) return it->second;
  auto* executable = dynamic_cast<runtime::cuda::CudaExecutable*>(&model.executable());
  if (executable == nullptr) {
    return Error(ErrorCode::kInternal, "model '{}' was not compiled for the CUDA backend", model.name());
  }
  const auto slot = static_cast<sched::TenantId>(slots_.size());
  sched::cuda::CudaModelOptions options;
  options.replay_graphs = model.cuda_graph();
  MISSILE_RETURN_IF_ERROR(launcher_->AddModel(slot, *executable, options));
  // The slot stays while the process lives: a model loaded again is a new instance with a new slot.
  slots_.emplace(model.instance_id(), slot);
  return slot;
}

Status CudaSchedulerDevice::BindRequest(sched::TenantId tenant, sched::RequestId request,
                                        const ServedModel& model, InferRequest& inputs,
                                        DeviceTransfers& transfers, pcie::TenantId link_tenant,
                                        double* seconds) {
  MISSILE_ASSIGN_OR_RETURN(sched::TenantId slot, SlotOf(model));
  std::vector<Tensor> ordered;
  uint64_t bytes = 0;
  for (const TensorSignature& signature : model.inputs()) {
    auto given = std::find_if(inputs.inputs.begin(), inputs.inputs.end(),
                              [&](const NamedTensor& t) { return t.name == signature.name; });
    if (given == inputs.inputs.end()) {
      return Error(ErrorCode::kInvalidArgument, "missing input '{}'", signature.name);
    }
    bytes += given->tensor.nbytes();
    ordered.push_back(std::move(given->tensor));  // the launcher stages it when the first step launches
  }
  {
    std::lock_guard lock(mutex_);
    routes_[request] = Route{tenant, slot, nullptr};
  }
  MISSILE_RETURN_IF_ERROR(launcher_->SetInputs(slot, request, std::move(ordered)));
  // The copy itself runs on the stream, before the first step: counted, not timed here.
  transfers.CountCopiedOnDevice(pcie::Direction::kHostToDevice, link_tenant, bytes);
  if (seconds != nullptr) *seconds = 0;
  return Status::Ok();
}

Result<std::vector<NamedTensor>> CudaSchedulerDevice::TakeOutputs(
    sched::TenantId, sched::RequestId request, const ServedModel& model, const InferRequest& inputs,
    DeviceTransfers& transfers, pcie::TenantId link_tenant, double* seconds) {
  sched::TenantId slot;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(request);
    if (it == routes_.end()) return Error(ErrorCode::kInternal, "request {} has no route", request);
    slot = it->second.slot;
    routes_.erase(it);
  }
  MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> results, launcher_->TakeOutputs(slot, request));
  std::vector<NamedTensor> outputs;
  uint64_t bytes = 0;
  for (size_t i = 0; i < model.outputs().size() && i < results.size(); ++i) {
    bytes += results[i].nbytes();
    const std::string& name = model.outputs()[i].name;
    const bool wanted =
        inputs.outputs.empty() || std::any_of(inputs.outputs.begin(), inputs.outputs.end(),
                                              [&](const RequestedOutput& o) { return o.name == name; });
    if (wanted) outputs.push_back({name, std::move(results[i])});
  }
  transfers.CountCopiedOnDevice(pcie::Direction::kDeviceToHost, link_tenant, bytes);
  if (seconds != nullptr) *seconds = 0;
  return outputs;
}

void CudaSchedulerDevice::Forget(sched::TenantId, sched::RequestId request) {
  // The launcher keeps inputs set for a request that never launched until it is destroyed; a submission that
  // fails after binding is a scheduler error, not a client's.
  std::lock_guard lock(mutex_);
  routes_.erase(request);
}

void CudaSchedulerDevice::Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) {
  sched::KernelLaunch translated = launch;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(launch.request);
    if (it == routes_.end()) {
      // Cannot happen: BindRequest routed every submitted request. Fail it rather than run another's data,
      // from another thread: a listener is never called from inside Launch.
      std::thread([&listener, launch] {
        listener.OnKernelDone(launch, Error(ErrorCode::kInternal, "request {} has no route", launch.request));
      }).detach();
      return;
    }
    it->second.listener = &listener;
    translated.tenant = it->second.slot;
  }
  launcher_->Launch(translated, *this);
}

void CudaSchedulerDevice::OnKernelDone(const sched::KernelLaunch& launch, const Status& status) {
  sched::KernelLaunch original = launch;
  sched::KernelListener* listener = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(launch.request);
    if (it == routes_.end()) return;  // cannot happen: a route lives until its outputs are taken
    original.tenant = it->second.tenant;
    listener = it->second.listener;
  }
  listener->OnKernelDone(original, status);
}

}  // namespace missile::server
