// The CPU backend's operator library: reference implementations, fp32 (plus the integer/bool types shape
// computations need), OpenBLAS for GEMM, both cores where it pays.
#pragma once

#include <memory>
#include <span>
#include <utility>

#include "ops/kernel.h"
#include "ops/node_context.h"

namespace missile::ops::cpu {

using KernelResult = Result<std::unique_ptr<Kernel>>;
using KernelFactory = KernelResult (*)(const NodeContext&);

// A factory's result: a new K built from `args`.
template <typename K, typename... Args>
KernelResult MakeKernel(Args&&... args) {
  return std::unique_ptr<Kernel>(new K(std::forward<Args>(args)...));
}

// Calls make(T{}), T the C++ type of `dtype` among those the CPU's arithmetic kernels support (float32,
// float64, int64, int32), and returns its kernel; for another dtype, "<what> on <dtype> is not supported".
template <typename Make>
KernelResult DispatchArithmetic(DataType dtype, std::string_view what, Make&& make) {
  switch (dtype) {
    case DataType::kFloat32:
      return make(float{});
    case DataType::kFloat64:
      return make(double{});
    case DataType::kInt64:
      return make(int64_t{});
    case DataType::kInt32:
      return make(int32_t{});
    default:
      return Error(ErrorCode::kUnimplemented, "{} on {} is not supported", what, DataTypeName(dtype));
  }
}

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
std::span<const KernelEntry> AttentionKernels();
std::span<const KernelEntry> NormalizationKernels();
std::span<const KernelEntry> PoolKernels();
std::span<const KernelEntry> ReduceKernels();
// The data-movement and shape operators, by mechanism.
std::span<const KernelEntry> StridedCopyKernels();
std::span<const KernelEntry> ConcatSplitKernels();
std::span<const KernelEntry> GatherScatterKernels();
std::span<const KernelEntry> PadResizeKernels();
std::span<const KernelEntry> GeneratorKernels();
std::span<const KernelEntry> AxisScanKernels();

}  // namespace missile::ops::cpu
