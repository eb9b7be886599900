// The CUDA backend: one stream (with its library handles) and one weight store per session.
#include "device/cuda/cuda_status.h"
#include "passes/lower_precision.h"
#include "runtime/backend.h"
#include "runtime/cuda/cuda_executable.h"

namespace missile::runtime {
namespace {

class CudaBackend final : public Backend {
 public:
  CudaBackend(BackendOptions options, std::unique_ptr<cuda::CudaContext> context)
      : options_(options), context_(std::move(context)) {}

  std::string name() const override { return "cuda"; }

  Result<std::unique_ptr<Executable>> Compile(graph::Graph graph) override {
    if (options_.precision == Precision::kFp16) MISSILE_RETURN_IF_ERROR(passes::LowerFloat32ToFloat16(graph));
    MISSILE_ASSIGN_OR_RETURN(auto executable,
                             cuda::CudaExecutable::Build(std::move(graph), *context_, constants_, options_));
    return std::unique_ptr<Executable>(std::move(executable));
  }

 private:
  BackendOptions options_;
  std::unique_ptr<cuda::CudaContext> context_;
  cuda::ConstantStore constants_;  // destroyed before the context: weights go before the stream
};

}  // namespace

Result<std::unique_ptr<Backend>> MakeCudaBackend(const BackendOptions& options) {
  int devices = 0;
  const cudaError_t error = cudaGetDeviceCount(&devices);
  if (error != cudaSuccess || devices == 0) {
    return Error(ErrorCode::kUnavailable, "no CUDA GPU is usable here ({})",
                 error != cudaSuccess ? cudaGetErrorString(error) : "none found");
  }
  MISSILE_ASSIGN_OR_RETURN(auto context, cuda::CudaContext::Create());
  return std::unique_ptr<Backend>(new CudaBackend(options, std::move(context)));
}

}  // namespace missile::runtime
