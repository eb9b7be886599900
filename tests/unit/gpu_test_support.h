// For GPU tests, which compile wherever nvcc is and skip, saying why, where there is no GPU.
#pragma once

#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>
#include <fmt/format.h>

#include <string>

namespace missile::testing {

// Why this machine cannot run a GPU test; empty when it can.
inline std::string NoGpuReason() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    (void)cudaGetLastError();  // clear it, so that it does not surface in a later call
    return fmt::format("cudaGetDeviceCount: {} ({})", cudaGetErrorString(error), cudaGetErrorName(error));
  }
  return count == 0 ? "no CUDA device" : "";
}

}  // namespace missile::testing

#endif  // MISSILE_HAVE_CUDA
