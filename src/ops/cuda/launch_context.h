// Where a GPU kernel is enqueued. Passed at every launch rather than fixed at build time, so one built kernel
// can be released into whichever stream (and so SM partition) the scheduler picks.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace missile::ops::cuda {

struct LaunchContext {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;  // bound to `stream`
  cublasLtHandle_t cublaslt = nullptr;
};

}  // namespace missile::ops::cuda
