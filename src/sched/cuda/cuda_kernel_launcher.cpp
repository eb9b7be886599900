#include "sched/cuda/cuda_kernel_launcher.h"

#include <algorithm>
#include <chrono>

#include "device/cuda/cuda_status.h"
#include "sched/cuda/stream_pause.h"

namespace missile::sched::cuda {

CudaKernelLauncher::CudaKernelLauncher(PartitionStreams& streams) : streams_(streams) {}

CudaKernelLauncher::~CudaKernelLauncher() = default;  // poller_ goes first and drains what is in flight

CudaKernelLauncher::Model* CudaKernelLauncher::Find(TenantId tenant) {
  std::lock_guard lock(models_mutex_);
  auto it = models_.find(tenant);
  return it == models_.end() ? nullptr : it->second.get();
}

Status CudaKernelLauncher::AddModel(TenantId tenant, runtime::cuda::CudaExecutable& executable,
                                    CudaModelOptions options) {
  auto model = std::make_unique<Model>();
  model->executable = &executable;
  model->options = options;
  // Bound to a stream at every launch; the legacy stream until then.
  MISSILE_ASSIGN_OR_RETURN(model->handles, device::cuda::LibraryHandles::Create(nullptr));
  std::lock_guard lock(models_mutex_);
  if (!models_.emplace(tenant, std::move(model)).second) {
    return Error(ErrorCode::kInvalidArgument, "tenant {} already has a model on the GPU", tenant);
  }
  return Status::Ok();
}

Result<ops::cuda::LaunchContext> CudaKernelLauncher::Bind(Model& model, cudaStream_t stream) {
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetStream(model.handles.cudnn(), stream));
  return ops::cuda::LaunchContext{stream, model.handles.cudnn(), model.handles.cublaslt()};
}

Result<const SegmentGraph*> CudaKernelLauncher::GraphFor(Model& model, cudaStream_t stream, size_t first,
                                                         size_t count) {
  const auto key = std::make_tuple(stream, first, count);
  auto it = model.graphs.find(key);
  if (it != model.graphs.end()) return &it->second;
  MISSILE_ASSIGN_OR_RETURN(const ops::cuda::LaunchContext launch, Bind(model, stream));
  MISSILE_ASSIGN_OR_RETURN(SegmentGraph graph,
                           SegmentGraph::Capture(*model.executable, first, count, launch));
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.graphs_captured;
  }
  return &model.graphs.emplace(key, std::move(graph)).first->second;
}

Status CudaKernelLauncher::PrepareGraphs(TenantId tenant, const GroupRange& partition, int stream_priority,
                                         size_t segment_steps) {
  Model* model = Find(tenant);
  if (model == nullptr) return Error(ErrorCode::kNotFound, "tenant {} has no model on the GPU", tenant);
  if (!model->options.replay_graphs) {
    return Error(ErrorCode::kFailedPrecondition, "tenant {} does not replay graphs", tenant);
  }
  MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream,
                           streams_.StreamFor(tenant, partition, CudaPriorityOf(stream_priority)));
  const size_t steps = model->executable->step_count();
  const size_t each = segment_steps == 0 ? steps : segment_steps;
  for (size_t first = 0; first < steps; first += each) {
    MISSILE_RETURN_IF_ERROR(GraphFor(*model, stream, first, std::min(each, steps - first)).status());
  }
  return Status::Ok();
}

Status CudaKernelLauncher::SetInputs(TenantId tenant, RequestId request, std::vector<Tensor> inputs) {
  Model* model = Find(tenant);
  if (model == nullptr) return Error(ErrorCode::kNotFound, "tenant {} has no model on the GPU", tenant);
  const size_t expected = model->executable->graph().inputs().size();
  if (inputs.size() != expected) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: {} inputs given, the model takes {}", tenant,
                 inputs.size(), expected);
  }
  std::lock_guard lock(model->data_mutex);
  if (!model->inputs.emplace(request, std::move(inputs)).second) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: request {} already has inputs", tenant, request);
  }
  return Status::Ok();
}

Result<std::vector<Tensor>> CudaKernelLauncher::TakeOutputs(TenantId tenant, RequestId request) {
  Model* model = Find(tenant);
  if (model == nullptr) return Error(ErrorCode::kNotFound, "tenant {} has no model on the GPU", tenant);
  std::lock_guard lock(model->data_mutex);
  auto it = model->outputs.find(request);
  if (it == model->outputs.end()) {
    return Error(ErrorCode::kNotFound, "tenant {}: request {} has no outputs (not finished?)", tenant,
                 request);
  }
  std::vector<Tensor> outputs = std::move(it->second);
  model->outputs.erase(it);
  return outputs;
}

Result<cudaEvent_t> CudaKernelLauncher::TakeEvent() {
  std::lock_guard lock(events_mutex_);
  if (free_events_.empty()) {
    MISSILE_ASSIGN_OR_RETURN(device::cuda::Event event, device::cuda::Event::Create(/*timing=*/false));
    events_.push_back(std::move(event));
    return events_.back().get();
  }
  const cudaEvent_t event = free_events_.back();
  free_events_.pop_back();
  return event;
}

void CudaKernelLauncher::ReturnEvent(cudaEvent_t event) {
  std::lock_guard lock(events_mutex_);
  free_events_.push_back(event);
}

Status CudaKernelLauncher::Enqueue(Model& model, const KernelLaunch& launch, cudaEvent_t done,
                                   bool* replayed) {
  runtime::cuda::CudaExecutable& executable = *model.executable;
  if (launch.step_count != executable.step_count()) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: the profile has {} kernels, the model {} steps",
                 launch.tenant, launch.step_count, executable.step_count());
  }
  MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream, streams_.StreamFor(launch.tenant, launch.partition,
                                                                   CudaPriorityOf(launch.stream_priority)));
  if (launch.first()) {
    std::vector<Tensor> inputs;
    {
      std::lock_guard lock(model.data_mutex);
      auto it = model.inputs.find(launch.request);
      if (it != model.inputs.end()) {
        inputs = std::move(it->second);
        model.inputs.erase(it);
      }
    }
    // The previous request's copies have completed (its last launch did), so the staging buffer is free.
    if (!inputs.empty()) {
      std::vector<const Tensor*> pointers;
      for (const Tensor& t : inputs) pointers.push_back(&t);
      executable.StageInputs(pointers);
    }
  }
  // A paced launch: the stream idles on the GPU first (missile's duty cycle), the host does not wait.
  MISSILE_RETURN_IF_ERROR(EnqueuePause(stream, launch.pace_us));
  *replayed = model.options.replay_graphs;
  if (*replayed) {
    MISSILE_ASSIGN_OR_RETURN(const SegmentGraph* graph, GraphFor(model, stream, launch.step, launch.steps));
    MISSILE_RETURN_IF_ERROR(graph->Launch(stream));
  } else {
    MISSILE_ASSIGN_OR_RETURN(const ops::cuda::LaunchContext context, Bind(model, stream));
    MISSILE_RETURN_IF_ERROR(EnqueueSegment(executable, launch.step, launch.steps, context));
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventRecord(done, stream));
  return Status::Ok();
}

void CudaKernelLauncher::Launch(const KernelLaunch& launch, KernelListener& listener) {
  const auto start = std::chrono::steady_clock::now();
  Model* model = Find(launch.tenant);
  if (model == nullptr) {
    poller_.Watch(
        nullptr, [launch, &listener](const Status& s) { listener.OnKernelDone(launch, s); },
        Error(ErrorCode::kFailedPrecondition, "tenant {} has no model on the GPU", launch.tenant));
    return;
  }
  Result<cudaEvent_t> event = TakeEvent();
  bool replayed = false;
  Status status = event.ok() ? Enqueue(*model, launch, *event, &replayed) : event.status();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.launches;
    stats_.steps += launch.steps;
    stats_.paced_launches += launch.pace_us > 0 ? 1 : 0;
    stats_.pace_seconds += std::max(0.0, launch.pace_us) * 1e-6;
    stats_.graph_launches += replayed ? 1 : 0;
    stats_.failed_launches += status.ok() ? 0 : 1;
    stats_.enqueue_seconds += seconds;
  }
  // A failed launch leaves its CUDA error for the next call to report (another tenant's): clear it.
  if (!status.ok()) (void)cudaGetLastError();
  const cudaEvent_t watched = status.ok() ? *event : nullptr;
  if (!status.ok() && event.ok()) ReturnEvent(*event);
  poller_.Watch(
      watched,
      [this, model, launch, &listener, watched](const Status& s) {
        Finish(*model, launch, listener, watched, s);
      },
      status);
}

void CudaKernelLauncher::Finish(Model& model, const KernelLaunch& launch, KernelListener& listener,
                                cudaEvent_t event, const Status& status) {
  if (event != nullptr) ReturnEvent(event);
  if (status.ok() && launch.last() && model.options.keep_outputs) {
    std::vector<Tensor> outputs = model.executable->CollectOutputs();
    std::lock_guard lock(model.data_mutex);
    model.outputs[launch.request] = std::move(outputs);
  }
  listener.OnKernelDone(launch, status);
}

CudaLauncherStats CudaKernelLauncher::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace missile::sched::cuda
