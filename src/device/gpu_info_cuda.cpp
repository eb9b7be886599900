// GPU discovery through the CUDA runtime (built only when nvcc is found).
#include <cuda_runtime_api.h>

#include "device/gpu_info.h"

namespace missile::device {

bool BuiltWithCuda() {
  return true;
}

Result<std::vector<GpuInfo>> QueryGpus() {
  int driver = 0;
  int runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  if (driver == 0) return Error(ErrorCode::kUnavailable, "no NVIDIA driver is loaded on this machine");
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    return Error(ErrorCode::kUnavailable, "CUDA cannot enumerate GPUs: {}", cudaGetErrorString(e));
  }
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaError_t e = cudaGetDeviceProperties(&prop, i); e != cudaSuccess) {
      return Error(ErrorCode::kUnavailable, "GPU {}: {}", i, cudaGetErrorString(e));
    }
    GpuInfo info;
    info.index = i;
    info.name = prop.name;
    info.compute_capability_major = prop.major;
    info.compute_capability_minor = prop.minor;
    info.sm_count = prop.multiProcessorCount;
    info.memory_bytes = prop.totalGlobalMem;
    info.l2_bytes = static_cast<size_t>(prop.l2CacheSize);
    info.persisting_l2_max_bytes = static_cast<size_t>(prop.persistingL2CacheMaxSize);
    info.async_copy_engines = prop.asyncEngineCount;
    info.memory_bus_bits = prop.memoryBusWidth;
    info.driver_version = driver;
    info.runtime_version = runtime;
    int least = 0, greatest = 0;
    cudaSetDevice(i);
    cudaDeviceGetStreamPriorityRange(&least, &greatest);
    info.stream_priority_least = least;
    info.stream_priority_greatest = greatest;
    gpus.push_back(std::move(info));
  }
  return gpus;
}

}  // namespace missile::device
