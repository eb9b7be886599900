// One stream of work on the GPU with the library handles bound to it: what a session (a tenant's model)
// launches into.
#pragma once

#include <memory>

#include "device/cuda/stream.h"
#include "ops/cuda/launch_context.h"

namespace missile::runtime::cuda {

class CudaContext {
 public:
  // `priority` in CUDA's numbering (0 least urgent, negative more urgent).
  static Result<std::unique_ptr<CudaContext>> Create(int priority = 0);

  const ops::cuda::LaunchContext& launch() const { return launch_; }
  cudaStream_t stream() const { return stream_.get(); }

 private:
  CudaContext() = default;
  device::cuda::Stream stream_;
  device::cuda::LibraryHandles handles_;
  ops::cuda::LaunchContext launch_;
};

}  // namespace missile::runtime::cuda
