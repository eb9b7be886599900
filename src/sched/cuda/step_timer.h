// Times every step of a model compiled for the GPU alone on every SM partition [0, g), g = 1 .. groups: the
// measurement behind `missile profile --measure` (sched/measured_profile.h does the arithmetic).
//
// Per partition: the request's steps are enqueued one by one (CudaExecutable::EnqueueStep) into the
// partition's green-context stream with a timing event between every two, behind a GPU-side delay long
// enough for the host to queue the whole request first, so the events see kernels back to back and no host
// launch gaps. Warm-up rounds first, then the repetitions kept.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "device/cuda/green_partitions.h"
#include "runtime/cuda/cuda_executable.h"

namespace missile::sched::cuda {

struct StepTimingOptions {
  int warmup = 2;
  int repetitions = 5;
  int cuda_priority = 0;                        // of the partition streams
  std::function<void(const std::string&)> log;  // progress lines, optional
};

// samples[step][g - 1][repetition], microseconds. The executable's inputs must already be on the device
// (StageInputs + EnqueueInputCopies, completed); every step reads what the previous ones wrote, as in a
// request.
using StepSamples = std::vector<std::vector<std::vector<double>>>;
Result<StepSamples> TimeStepsOnPartitions(const runtime::cuda::CudaExecutable& executable,
                                          device::cuda::GreenPartitions& partitions,
                                          const StepTimingOptions& options);

}  // namespace missile::sched::cuda
