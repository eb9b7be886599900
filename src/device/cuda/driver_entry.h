// CUDA driver API functions fetched through the runtime (cudaGetDriverEntryPointByVersion) instead of linked
// from libcuda: a CUDA build then still starts where there is no driver (the CPU machines, CI with nvcc) and
// reports that there is no GPU, rather than failing to load. Every driver call goes through
// MISSILE_CU_RETURN_IF_ERROR so a failure names the call and the driver's error.
#pragma once

#include <cuda.h>

#include "core/status.h"

namespace missile::device::cuda {

// The entry point of `symbol` at ABI `version` (e.g. 12040: the version its PFN_ typedef names), or
// kUnavailable when the driver does not provide it.
Status FetchDriverSymbol(const char* symbol, int version, void** pointer);

template <typename F>
Status FetchDriverFunction(const char* symbol, int version, F& function) {
  void* pointer = nullptr;
  MISSILE_RETURN_IF_ERROR(FetchDriverSymbol(symbol, version, &pointer));
  function = reinterpret_cast<F>(pointer);
  return Status::Ok();
}

// A failed driver call as a Status: the call, the driver's error name and number.
Status DriverError(CUresult result, const char* call);

}  // namespace missile::device::cuda

#define MISSILE_CU_RETURN_IF_ERROR(call)                                      \
  do {                                                                        \
    const CUresult missile_cu_result_ = (call);                               \
    if (missile_cu_result_ != CUDA_SUCCESS)                                   \
      return ::missile::device::cuda::DriverError(missile_cu_result_, #call); \
  } while (false)
