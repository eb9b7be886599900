#include "ops/cpu/cpu_kernels.h"

#include <unordered_map>

namespace missile::ops::cpu {

Result<std::unique_ptr<Kernel>> CreateKernel(const NodeContext& ctx) {
  static const auto* table = [] {
    auto* map = new std::unordered_map<std::string_view, KernelFactory>();
    for (auto family :
         {ElementwiseKernels(), ConvKernels(), MatMulKernels(), AttentionKernels(), NormalizationKernels(),
          PoolKernels(), ReduceKernels(), StridedCopyKernels(), ConcatSplitKernels(), GatherScatterKernels(),
          PadResizeKernels(), GeneratorKernels(), AxisScanKernels()}) {
      for (const KernelEntry& entry : family) map->emplace(entry.op_type, entry.create);
    }
    return map;
  }();
  auto it = table->find(ctx.op_type());
  if (it == table->end()) {
    return Error(ErrorCode::kUnimplemented, "{}: operator '{}' has no CPU kernel", ctx.node().Describe(),
                 ctx.op_type());
  }
  auto kernel = it->second(ctx);
  if (!kernel.ok()) return kernel.status().WithContext(ctx.node().Describe());
  return kernel;
}

}  // namespace missile::ops::cpu
