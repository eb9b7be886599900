#include "device/cuda/cuda_status.h"

#include <filesystem>

namespace missile::device::cuda {
namespace {

std::string Where(const char* file, int line) {
  return fmt::format("{}:{}", std::filesystem::path(file).filename().string(), line);
}

}  // namespace

Status CudaError(cudaError_t error, const char* call, const char* file, int line) {
  // Out of memory is the one CUDA failure a caller can act on (a smaller batch, another tenant's quota).
  const ErrorCode code =
      error == cudaErrorMemoryAllocation ? ErrorCode::kResourceExhausted : ErrorCode::kInternal;
  return Error(code, "{} failed: {} ({}) at {}", call, cudaGetErrorString(error), cudaGetErrorName(error),
               Where(file, line));
}

Status CudnnError(cudnnStatus_t status, const char* call, const char* file, int line) {
  return Error(ErrorCode::kInternal, "{} failed: {} at {}", call, cudnnGetErrorString(status),
               Where(file, line));
}

Status CublasError(cublasStatus_t status, const char* call, const char* file, int line) {
  return Error(ErrorCode::kInternal, "{} failed: cuBLAS status {} at {}", call, static_cast<int>(status),
               Where(file, line));
}

}  // namespace missile::device::cuda
