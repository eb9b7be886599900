// A one-block kernel that holds a stream for a set time. Timing kernels that are shorter than the host's
// launch calls (batch-1 convolutions take microseconds, a cuDNN launch about as long) needs the whole
// sequence queued before the GPU starts it; otherwise the events between kernels measure host gaps too.
// Enqueue a delay longer than the host takes to queue the work, then the work.
#pragma once

#include <cuda_runtime.h>

#include "core/status.h"

namespace missile::device::cuda {

Status EnqueueGpuDelay(cudaStream_t stream, double microseconds);

}  // namespace missile::device::cuda
