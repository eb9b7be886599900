// GPU discovery in a build without CUDA: there is nothing to discover, and the reason is said plainly.
#include "device/gpu_info.h"

namespace missile::device {

bool BuiltWithCuda() {
  return false;
}

Result<std::vector<GpuInfo>> QueryGpus() {
  return Error(ErrorCode::kUnavailable,
               "this build of missile has no CUDA support (nvcc was not found when it was "
               "built)");
}

}  // namespace missile::device
