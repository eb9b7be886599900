// The CUDA reduction family's table, and the copy a no-op reduction runs.
#include <cuda_runtime.h>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/reduce_family.h"

namespace missile::ops::cuda {
namespace {

class DeviceCopyKernel final : public Kernel {
 public:
  explicit DeviceCopyKernel(size_t bytes) : bytes_(bytes) {}
  Status Run(const KernelArgs& args) const override {
    if (bytes_ == 0 || args.outputs[0] == args.inputs[0]) return Status::Ok();
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(args.outputs[0], args.inputs[0], bytes_,
                                                 cudaMemcpyDeviceToDevice, args.launch->stream));
    return Status::Ok();
  }

 private:
  size_t bytes_;
};

const KernelEntry kKernels[] = {
    {"ReduceSum", CreateReduceSum},   {"ReduceMean", CreateReduceMean},
    {"ReduceMax", CreateReduceMax},   {"ReduceMin", CreateReduceMin},
    {"ReduceProd", CreateReduceProd}, {"ReduceSumSquare", CreateReduceSumSquare},
    {"ReduceL2", CreateReduceL2},     {"ReduceL1", CreateReduceL1},
    {"Softmax", CreateSoftmax},       {"LogSoftmax", CreateLogSoftmax},
    {"CumSum", CreateCumSum},         {"ArgMax", CreateArgMax},
    {"ArgMin", CreateArgMin},
};

}  // namespace

KernelResult MakeDeviceCopyKernel(size_t bytes) {
  return MakeKernel<DeviceCopyKernel>(bytes);
}

std::span<const KernelEntry> ReduceKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda
