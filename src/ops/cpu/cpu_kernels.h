// The CPU backend's operator library: reference implementations, fp32 (plus the integer/bool types shape
// computations need), OpenBLAS for GEMM, both cores where it pays.
#pragma once

#include <memory>
#include <span>

#include "ops/kernel.h"
#include "ops/node_context.h"

namespace missile::ops::cpu {

using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const NodeContext&);

struct KernelEntry {
  std::string_view op_type;
  KernelFactory create;
};

// Builds the CPU kernel for a node whose input and output specs are known.
Result<std::unique_ptr<Kernel>> CreateKernel(const NodeContext& ctx);

// Per-family tables, collected by CreateKernel.
std::span<const KernelEntry> ElementwiseKernels();
std::span<const KernelEntry> ConvKernels();
std::span<const KernelEntry> MatMulKernels();
std::span<const KernelEntry> NormalizationKernels();
std::span<const KernelEntry> PoolKernels();
std::span<const KernelEntry> ReduceKernels();
std::span<const KernelEntry> TensorKernels();

}  // namespace missile::ops::cpu
