// Shared by the PCIe probes: stop with the failing call's text, since a probe that goes on after a CUDA error
// measures nothing.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define CK(x)                                                \
  do {                                                       \
    cudaError_t err_ = (x);                                  \
    if (err_ != cudaSuccess) {                               \
      std::printf("%s: %s\n", #x, cudaGetErrorString(err_)); \
      std::exit(1);                                          \
    }                                                        \
  } while (0)
