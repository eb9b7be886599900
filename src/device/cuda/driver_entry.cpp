#include "device/cuda/driver_entry.h"

#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include "device/cuda/cuda_status.h"

namespace missile::device::cuda {

Status FetchDriverSymbol(const char* symbol, int version, void** pointer) {
  *pointer = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaGetDriverEntryPointByVersion(symbol, pointer, version, cudaEnableDefault, &found));
  if (found == cudaDriverEntryPointVersionNotSufficent) {
    return Error(ErrorCode::kUnavailable, "the CUDA driver is too old for {} (needs ABI version {})", symbol,
                 version);
  }
  if (found != cudaDriverEntryPointSuccess || *pointer == nullptr) {
    return Error(ErrorCode::kUnavailable, "the CUDA driver does not provide {}", symbol);
  }
  return Status::Ok();
}

Status DriverError(CUresult result, const char* call) {
  static const PFN_cuGetErrorName_v6000 error_name = [] {
    PFN_cuGetErrorName_v6000 function = nullptr;
    if (!FetchDriverFunction("cuGetErrorName", 6000, function).ok()) function = nullptr;
    return function;
  }();
  const char* name = nullptr;
  if (error_name == nullptr || error_name(result, &name) != CUDA_SUCCESS) name = nullptr;
  return Error(ErrorCode::kInternal, "{} failed: {} ({})", call, name != nullptr ? name : "unknown error",
               static_cast<int>(result));
}

}  // namespace missile::device::cuda
