#include "sched/cuda/request_segment.h"

#include <fmt/format.h>

#include <utility>

#include "device/cuda/cuda_status.h"

namespace missile::sched::cuda {

Status EnqueueSegment(const runtime::cuda::CudaExecutable& executable, size_t first, size_t count,
                      const ops::cuda::LaunchContext& launch) {
  const size_t end = first + count;
  if (count == 0 || end > executable.step_count()) {
    return Error(ErrorCode::kInvalidArgument, "segment [{}, {}) of a model with {} steps", first, end,
                 executable.step_count());
  }
  if (first == 0) MISSILE_RETURN_IF_ERROR(executable.EnqueueInputCopies(launch));
  for (size_t step = first; step < end; ++step) MISSILE_RETURN_IF_ERROR(executable.EnqueueStep(step, launch));
  if (end == executable.step_count()) MISSILE_RETURN_IF_ERROR(executable.EnqueueOutputCopies(launch));
  return Status::Ok();
}

Result<SegmentGraph> SegmentGraph::Capture(const runtime::cuda::CudaExecutable& executable, size_t first,
                                           size_t count, const ops::cuda::LaunchContext& launch) {
  // Thread-local capture: other threads keep launching into their own streams meanwhile.
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(launch.stream, cudaStreamCaptureModeThreadLocal));
  const Status enqueued = EnqueueSegment(executable, first, count, launch);
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(launch.stream, &graph);
  if (!enqueued.ok()) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    return enqueued.WithContext(
        fmt::format("capturing steps [{}, {}) as a CUDA graph", first, first + count));
  }
  MISSILE_CUDA_RETURN_IF_ERROR(ended);
  SegmentGraph captured;
  const cudaError_t instantiated = cudaGraphInstantiate(&captured.exec_, graph, 0);
  cudaGraphDestroy(graph);
  MISSILE_CUDA_RETURN_IF_ERROR(instantiated);
  return captured;
}

SegmentGraph::SegmentGraph(SegmentGraph&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}

SegmentGraph& SegmentGraph::operator=(SegmentGraph&& other) noexcept {
  if (this != &other) {
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    exec_ = std::exchange(other.exec_, nullptr);
  }
  return *this;
}

SegmentGraph::~SegmentGraph() {
  if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
}

Status SegmentGraph::Launch(cudaStream_t stream) const {
  if (exec_ == nullptr) return Error(ErrorCode::kFailedPrecondition, "no captured segment graph");
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(exec_, stream));
  return Status::Ok();
}

}  // namespace missile::sched::cuda
