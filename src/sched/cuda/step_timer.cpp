#include "sched/cuda/step_timer.h"

#include <algorithm>
#include <chrono>

#include "device/cuda/cuda_status.h"
#include "device/cuda/gpu_delay.h"
#include "device/cuda/stream.h"

namespace missile::sched::cuda {
namespace {

using Clock = std::chrono::steady_clock;

// The first round's delay, before the host's queueing time is known; later rounds use twice what the
// previous one took to queue (and never less than this floor).
constexpr double kFirstDelayUs = 20000;
constexpr double kMinDelayUs = 500;

}  // namespace

Result<StepSamples> TimeStepsOnPartitions(const runtime::cuda::CudaExecutable& executable,
                                          device::cuda::GreenPartitions& partitions,
                                          const StepTimingOptions& options) {
  if (options.warmup < 0 || options.repetitions < 1) {
    return Error(ErrorCode::kInvalidArgument, "step timing needs >= 0 warm-up rounds and >= 1 repetition");
  }
  const size_t steps = executable.step_count();
  const int groups = partitions.layout().groups;
  StepSamples samples(steps, std::vector<std::vector<double>>(static_cast<size_t>(groups)));

  std::vector<device::cuda::Event> events;
  for (size_t e = 0; e <= steps; ++e) {
    MISSILE_ASSIGN_OR_RETURN(auto event, device::cuda::Event::Create(/*timing=*/true));
    events.push_back(std::move(event));
  }
  double delay_us = kFirstDelayUs;
  for (int g = 1; g <= groups; ++g) {
    MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream, partitions.StreamFor(0, g, options.cuda_priority));
    // cuDNN and cuBLASLt handles bound to this partition's stream.
    MISSILE_ASSIGN_OR_RETURN(device::cuda::LibraryHandles handles,
                             device::cuda::LibraryHandles::Create(stream));
    const ops::cuda::LaunchContext launch{stream, handles.cudnn(), handles.cublaslt()};
    const auto started = Clock::now();
    for (int round = 0; round < options.warmup + options.repetitions; ++round) {
      MISSILE_RETURN_IF_ERROR(device::cuda::EnqueueGpuDelay(stream, delay_us));
      const auto queue_start = Clock::now();
      MISSILE_RETURN_IF_ERROR(events[0].Record(stream));
      for (size_t s = 0; s < steps; ++s) {
        MISSILE_RETURN_IF_ERROR(executable.EnqueueStep(s, launch));
        MISSILE_RETURN_IF_ERROR(events[s + 1].Record(stream));
      }
      const double queued_us = std::chrono::duration<double, std::micro>(Clock::now() - queue_start).count();
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
      delay_us = std::max(kMinDelayUs, 2 * queued_us);
      if (round < options.warmup) continue;
      for (size_t s = 0; s < steps; ++s) {
        MISSILE_ASSIGN_OR_RETURN(float ms, device::cuda::Event::ElapsedMs(events[s], events[s + 1]));
        samples[s][static_cast<size_t>(g - 1)].push_back(1e3 * ms);
      }
    }
    if (options.log) {
      double total_us = 0;
      for (size_t s = 0; s < steps; ++s) total_us += samples[s][static_cast<size_t>(g - 1)].back();
      options.log(fmt::format("{} group(s): last request {:.3f} ms over {} steps ({:.1f} s with warm-up)", g,
                              total_us / 1e3, steps,
                              std::chrono::duration<double>(Clock::now() - started).count()));
    }
  }
  return samples;
}

}  // namespace missile::sched::cuda
