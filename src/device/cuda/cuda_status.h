// CUDA, cuDNN and cuBLAS results as Missile Statuses: every call into a GPU library goes through one of these
// macros, so a failure names the call, the library's own message and the source line.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/status.h"

namespace missile::device::cuda {

Status CudaError(cudaError_t error, const char* call, const char* file, int line);
Status CudnnError(cudnnStatus_t status, const char* call, const char* file, int line);
Status CublasError(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace missile::device::cuda

#define MISSILE_CUDA_RETURN_IF_ERROR(call)                                                       \
  do {                                                                                           \
    const cudaError_t missile_cuda_error_ = (call);                                              \
    if (missile_cuda_error_ != cudaSuccess)                                                      \
      return ::missile::device::cuda::CudaError(missile_cuda_error_, #call, __FILE__, __LINE__); \
  } while (false)

#define MISSILE_CUDNN_RETURN_IF_ERROR(call)                                                         \
  do {                                                                                              \
    const cudnnStatus_t missile_cudnn_status_ = (call);                                             \
    if (missile_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                              \
      return ::missile::device::cuda::CudnnError(missile_cudnn_status_, #call, __FILE__, __LINE__); \
  } while (false)

#define MISSILE_CUBLAS_RETURN_IF_ERROR(call)                                                          \
  do {                                                                                                \
    const cublasStatus_t missile_cublas_status_ = (call);                                             \
    if (missile_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                              \
      return ::missile::device::cuda::CublasError(missile_cublas_status_, #call, __FILE__, __LINE__); \
  } while (false)

// After a kernel launch: launch-configuration errors surface here rather than at the next sync.
#define MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED() MISSILE_CUDA_RETURN_IF_ERROR(cudaGetLastError())
