// Timing one piece of GPU work at build time (autotuning): warm-up runs, then each trial between two events.
#pragma once

#include <cuda_runtime.h>

#include <vector>

#include "core/function_ref.h"
#include "core/status.h"

namespace missile::ops::cuda {

// Milliseconds of each of `trials` runs of `enqueue` on `stream`, after `warmup` untimed runs. Synchronises
// the stream. An enqueue failure ends the trials with that error.
Result<std::vector<float>> TimeTrials(cudaStream_t stream, int warmup, int trials,
                                      FunctionRef<Status()> enqueue);

}  // namespace missile::ops::cuda
