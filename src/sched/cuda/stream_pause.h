// A stream that idles on the GPU: one single-thread kernel that spins on the GPU's clock for a given time.
// How a paced launch (KernelLaunch::pace_us: missile's duty cycle on a BE tenant's DRAM traffic) keeps its
// stream empty without a host timer: the pause is queued before the launch's kernels, so they start that much
// later on the GPU, and the host stays free. It holds one thread on one SM of the stream's partition.
#pragma once

#include <cuda_runtime.h>

#include "core/status.h"

namespace missile::sched::cuda {

// Queues a pause of `microseconds` (> 0) into `stream`; nothing for 0 or less.
Status EnqueuePause(cudaStream_t stream, double microseconds);

}  // namespace missile::sched::cuda
