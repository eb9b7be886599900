#include "runtime/cuda/cuda_context.h"

namespace missile::runtime::cuda {

Result<std::unique_ptr<CudaContext>> CudaContext::Create(int priority) {
  std::unique_ptr<CudaContext> context(new CudaContext());
  MISSILE_ASSIGN_OR_RETURN(context->stream_, device::cuda::Stream::Create(priority));
  MISSILE_ASSIGN_OR_RETURN(context->handles_, device::cuda::LibraryHandles::Create(context->stream_.get()));
  context->launch_ = {context->stream_.get(), context->handles_.cudnn(), context->handles_.cublaslt()};
  return context;
}

}  // namespace missile::runtime::cuda
