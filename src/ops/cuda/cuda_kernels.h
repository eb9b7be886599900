// The CUDA backend's operator library: cuDNN for convolutions, cuBLASLt for GEMMs, Missile's own kernels for
// the rest; fp32 (TF32 allowed where the caller allows it) and fp16, plus the integer and bool types that
// indices and masks need.
//
// Kernels follow ops/kernel.h: everything shape-dependent (descriptors, algorithms, launch geometry) is
// decided when the kernel is built; Run only enqueues work on args.launch->stream, never synchronises and
// never allocates, so a whole request can be captured into a CUDA graph.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "ops/cuda/launch_context.h"
#include "ops/kernel.h"
#include "ops/node_context.h"

namespace missile::ops::cuda {

struct BuildContext {
  // A stream and handles on which kernels may run trial launches while they are built (cuDNN's algorithm
  // search). Building synchronises this stream.
  const LaunchContext* launch = nullptr;
  // fp32 convolutions and GEMMs may use TF32 tensor cores (PyTorch's torch.backends.*.allow_tf32).
  bool allow_tf32 = true;
};

using KernelResult = Result<std::unique_ptr<Kernel>>;
using KernelFactory = KernelResult (*)(const NodeContext&, const BuildContext&);

template <typename K, typename... Args>
KernelResult MakeKernel(Args&&... args) {
  return std::unique_ptr<Kernel>(new K(std::forward<Args>(args)...));
}

struct KernelEntry {
  std::string_view op_type;
  KernelFactory create;
};

// Builds the CUDA kernel for a node whose input and output specs are known.
KernelResult CreateKernel(const NodeContext& ctx, const BuildContext& build);
// Whether the CUDA backend has a kernel for this operator type.
bool HasKernel(std::string_view op_type);

// Per-family tables, collected by CreateKernel. Families mirror ops/cpu.
std::span<const KernelEntry> ElementwiseKernels();
std::span<const KernelEntry> ConvKernels();
std::span<const KernelEntry> MatMulKernels();
std::span<const KernelEntry> AttentionKernels();
std::span<const KernelEntry> NormalizationKernels();
std::span<const KernelEntry> PoolKernels();
std::span<const KernelEntry> ReduceKernels();
std::span<const KernelEntry> MovementKernels();
std::span<const KernelEntry> GeneratorKernels();

}  // namespace missile::ops::cuda
