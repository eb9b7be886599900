#include "runtime/cuda/cuda_backend.h"

#include "device/cuda/cuda_status.h"
#include "passes/lower_precision.h"
#include "runtime/cuda/cuda_executable.h"

namespace missile::runtime {
namespace cuda {

Result<std::unique_ptr<Executable>> CudaBackend::Compile(graph::Graph graph) {
  if (options_.precision == Precision::kFp16) MISSILE_RETURN_IF_ERROR(passes::LowerFloat32ToFloat16(graph));
  MISSILE_ASSIGN_OR_RETURN(auto executable,
                           CudaExecutable::Build(std::move(graph), *context_, constants_, options_));
  return std::unique_ptr<Executable>(std::move(executable));
}

}  // namespace cuda

Result<std::unique_ptr<Backend>> MakeCudaBackend(const BackendOptions& options) {
  int devices = 0;
  const cudaError_t error = cudaGetDeviceCount(&devices);
  if (error != cudaSuccess || devices == 0) {
    return Error(ErrorCode::kUnavailable, "no CUDA GPU is usable here ({})",
                 error != cudaSuccess ? cudaGetErrorString(error) : "none found");
  }
  MISSILE_ASSIGN_OR_RETURN(auto context, cuda::CudaContext::Create());
  return std::unique_ptr<Backend>(new cuda::CudaBackend(options, std::move(context)));
}

}  // namespace missile::runtime
