// A compiled model's request as the GPU launcher releases it: a segment of steps enqueued back to back into
// one stream (input copies before step 0, output copies after the last step), or the same segment captured
// once per stream as a CUDA graph and replayed. Replaying matters: cuDNN 9's legacy calls cost tens of
// microseconds of host time each (measured on the H200: ~80 us per ResNet-152 step enqueued), more than many
// kernels take on the GPU, while a graph launch costs a few. The benchmark's no-scheduler baseline uses the
// same calls, so "with" and "without the scheduler" run the same GPU work.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "core/status.h"
#include "ops/cuda/launch_context.h"
#include "runtime/cuda/cuda_executable.h"

namespace missile::sched::cuda {

// Steps [first, first + count) into `launch.stream`, with the request's input copies first when `first` is
// 0 and its output copies last when the segment ends the request. Only enqueues.
Status EnqueueSegment(const runtime::cuda::CudaExecutable& executable, size_t first, size_t count,
                      const ops::cuda::LaunchContext& launch);

// Steps [first, first + count) (with the copies EnqueueSegment adds) captured from a stream. A graph's
// kernels keep the launch attributes of the stream they were captured from, so the launcher captures one per
// stream (SM partition, priority).
class SegmentGraph {
 public:
  static Result<SegmentGraph> Capture(const runtime::cuda::CudaExecutable& executable, size_t first,
                                      size_t count, const ops::cuda::LaunchContext& launch);
  SegmentGraph() = default;
  SegmentGraph(SegmentGraph&& other) noexcept;
  SegmentGraph& operator=(SegmentGraph&& other) noexcept;
  ~SegmentGraph();

  Status Launch(cudaStream_t stream) const;

 private:
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace missile::sched::cuda
