#include "ops/cuda/cuda_kernels.h"

#include <array>

namespace missile::ops::cuda {
namespace {

const KernelEntry* FindEntry(std::string_view op_type) {
  static const std::array kFamilies = {ElementwiseKernels, ConvKernels,          MatMulKernels,
                                       AttentionKernels,   NormalizationKernels, PoolKernels,
                                       ReduceKernels,      MovementKernels,      GeneratorKernels};
  for (auto family : kFamilies) {
    for (const KernelEntry& entry : family()) {
      if (entry.op_type == op_type) return &entry;
    }
  }
  return nullptr;
}

}  // namespace

bool HasKernel(std::string_view op_type) {
  return FindEntry(op_type) != nullptr;
}

KernelResult CreateKernel(const NodeContext& ctx, const BuildContext& build) {
  const KernelEntry* entry = FindEntry(ctx.op_type());
  if (entry == nullptr) {
    return Error(ErrorCode::kUnimplemented, "operator {} has no CUDA kernel", ctx.op_type());
  }
  return entry->create(ctx, build);
}

}  // namespace missile::ops::cuda
