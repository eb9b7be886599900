#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {

std::span<const KernelEntry> ConvKernels() { return {}; }

}  // namespace missile::ops::cuda
