// The CUDA elementwise family: the operators of ops/cpu/elementwise.cpp, each in the file of its kind.
#include <vector>

#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda {

std::span<const KernelEntry> ElementwiseKernels() {
  static const std::vector<KernelEntry> kKernels = [] {
    std::vector<KernelEntry> all;
    for (auto part :
         {elementwise::UnaryKernels, elementwise::CastKernels, elementwise::BinaryKernels,
          elementwise::ComparisonKernels, elementwise::VariadicKernels, elementwise::WhereKernels}) {
      const std::span<const KernelEntry> entries = part();
      all.insert(all.end(), entries.begin(), entries.end());
    }
    return all;
  }();
  return kKernels;
}

}  // namespace missile::ops::cuda
