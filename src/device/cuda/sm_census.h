// Which SM each block of a kernel ran on (the %smid register): how a test sees where a stream's kernels
// really run, e.g. that a green-context partition keeps its blocks on its own SMs.
#pragma once

#include <cuda_runtime.h>

#include <vector>

#include "core/status.h"

namespace missile::device::cuda {

// Launches `blocks` blocks into `stream`, each recording its SM id and then spinning for `spin_us`
// microseconds (so that the blocks spread over every SM the stream may use instead of a few SMs taking
// them all), waits for them, and returns the SM id of every block in block order.
Result<std::vector<int>> RecordBlockSms(cudaStream_t stream, int blocks, int spin_us);

}  // namespace missile::device::cuda
