// The CUDA normalization family's table.
#include "ops/cuda/normalization_family.h"

namespace missile::ops::cuda {
namespace {

const KernelEntry kKernels[] = {
    {"BatchNormalization", CreateBatchNorm},
    {"InstanceNormalization", CreateInstanceNorm},
    {"LayerNormalization", CreateLayerNorm},
};

}  // namespace

std::span<const KernelEntry> NormalizationKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda
