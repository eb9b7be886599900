// The compute scheduler's launcher on the GPU (CUDA builds only): each tenant's model is a
// runtime::cuda::CudaExecutable (the engine `missile run --backend cuda` uses), and a launch of (partition,
// priority) goes into that tenant's stream for the pair (partition_streams.h: a green-context stream, or the
// whole GPU where there are none).
//
// - A launch is a segment of steps (KernelLaunch::steps; one kernel by default) enqueued back to back, with
//   the request's input copies before step 0 and its output copies after the last step. A tenant added with
//   replay_graphs runs every launch as a CUDA graph of its segment, captured once per (stream, segment) on
//   first use (or ahead, PrepareGraphs) and replayed after: a whole LS request is one graph launch, and a BE
//   kernel costs a graph launch (a few microseconds of host time) instead of its cuDNN call's tens. A paced
//   launch (KernelLaunch::pace_us) is preceded by a pause on the GPU (stream_pause.h).
// - Library handles: one cuDNN / cuBLASLt pair per tenant, re-bound to the launch's stream (cudnnSetStream is
//   cheap; a handle per partition stream would not be). A tenant has one launch in flight at a time, so its
//   handle is never bound to two streams at once.
// - Completion: an event is recorded after each launch; a poller thread (completion_poller.h) calls the
//   listener once it has completed. The listener is never called from inside Launch, and never from a CUDA
//   host callback (the scheduler launches the next kernel from OnKernelDone).
// - Request data: inputs given with SetInputs are staged when the request's first step launches; a request
//   without its own inputs reuses what the executable's staging buffer holds (a benchmark stages once).
//   Outputs are collected from the staging buffer when the last step completes, for TakeOutputs.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "core/tensor.h"
#include "device/cuda/stream.h"
#include "runtime/cuda/cuda_executable.h"
#include "sched/cuda/completion_poller.h"
#include "sched/cuda/partition_streams.h"
#include "sched/cuda/request_segment.h"
#include "sched/kernel_launcher.h"

namespace missile::sched::cuda {

struct CudaModelOptions {
  // Every launch replays a CUDA graph of its segment captured for its stream.
  bool replay_graphs = false;
  // Collect each request's outputs for TakeOutputs (off: the output copies still run, nothing is kept).
  bool keep_outputs = true;
};

struct CudaLauncherStats {
  uint64_t launches = 0;
  uint64_t steps = 0;  // kernels enqueued, replayed graphs counted by their steps
  uint64_t graph_launches = 0;
  uint64_t graphs_captured = 0;
  uint64_t failed_launches = 0;
  uint64_t paced_launches = 0;  // with a pause before them (KernelLaunch::pace_us)
  double pace_seconds = 0;      // the pauses asked for, in all
  double enqueue_seconds = 0;   // host time inside Launch (graph captures on first use included)
};

class CudaKernelLauncher final : public KernelLauncher {
 public:
  // `streams` must outlive the launcher.
  explicit CudaKernelLauncher(PartitionStreams& streams);
  // Waits for the launches in flight and completes them. Their listeners must still be alive.
  ~CudaKernelLauncher() override;
  CudaKernelLauncher(const CudaKernelLauncher&) = delete;
  CudaKernelLauncher& operator=(const CudaKernelLauncher&) = delete;

  // The executable runs `tenant`'s kernels; it must outlive the launcher and have one step per kernel of the
  // tenant's profile. Its inputs must be staged (StageInputs or SetInputs) before the first request.
  Status AddModel(TenantId tenant, runtime::cuda::CudaExecutable& executable, CudaModelOptions options = {});
  // Captures the graphs of every segment of `segment_steps` steps (0: the whole request) for (partition,
  // priority) now rather than at their first use. Not while the tenant has a launch in flight.
  Status PrepareGraphs(TenantId tenant, const GroupRange& partition, int stream_priority,
                       size_t segment_steps);
  // The request's inputs in graph-input order; set before the request is submitted.
  Status SetInputs(TenantId tenant, RequestId request, std::vector<Tensor> inputs);
  // The request's outputs, once its last step has completed (keep_outputs).
  Result<std::vector<Tensor>> TakeOutputs(TenantId tenant, RequestId request);

  void Launch(const KernelLaunch& launch, KernelListener& listener) override;

  CudaLauncherStats stats() const;
  const PartitionStreams& streams() const { return streams_; }

 private:
  struct Model {
    runtime::cuda::CudaExecutable* executable = nullptr;
    CudaModelOptions options;
    device::cuda::LibraryHandles handles;
    std::map<std::tuple<cudaStream_t, size_t, size_t>, SegmentGraph> graphs;  // (stream, first, count)
    std::mutex data_mutex;  // inputs and outputs: SetInputs/TakeOutputs come from other threads
    std::map<RequestId, std::vector<Tensor>> inputs;
    std::map<RequestId, std::vector<Tensor>> outputs;
  };

  Model* Find(TenantId tenant);
  // The launch context of `stream` with the tenant's handles bound to it.
  Result<ops::cuda::LaunchContext> Bind(Model& model, cudaStream_t stream);
  Result<const SegmentGraph*> GraphFor(Model& model, cudaStream_t stream, size_t first, size_t count);
  // Enqueues the launch and records `done` after it.
  Status Enqueue(Model& model, const KernelLaunch& launch, cudaEvent_t done, bool* replayed);
  void Finish(Model& model, const KernelLaunch& launch, KernelListener& listener, cudaEvent_t event,
              const Status& status);
  Result<cudaEvent_t> TakeEvent();
  void ReturnEvent(cudaEvent_t event);

  PartitionStreams& streams_;
  std::mutex models_mutex_;
  std::map<TenantId, std::unique_ptr<Model>> models_;
  std::mutex events_mutex_;
  std::vector<device::cuda::Event> events_;  // every event made; free_events_ are those not in flight
  std::vector<cudaEvent_t> free_events_;
  mutable std::mutex stats_mutex_;
  CudaLauncherStats stats_;
  CompletionPoller poller_;  // last: stopped first, so pending completions still find models and events
};

}  // namespace missile::sched::cuda
