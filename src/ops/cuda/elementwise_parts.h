// The elementwise family's kernel tables, one per source file, joined into ElementwiseKernels() by
// elementwise.cu.
#pragma once

#include <span>

#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda::elementwise {

std::span<const KernelEntry> UnaryKernels();       // elementwise_unary.cu: maps, Clip, Not, Identity, Dropout
std::span<const KernelEntry> CastKernels();        // elementwise_cast.cu
std::span<const KernelEntry> BinaryKernels();      // elementwise_binary.cu: arithmetic, Mod, Pow
std::span<const KernelEntry> ComparisonKernels();  // elementwise_compare.cu: comparisons, And/Or/Xor
std::span<const KernelEntry> VariadicKernels();    // elementwise_variadic.cu: Max, Min, Sum, Mean
std::span<const KernelEntry> WhereKernels();       // elementwise_where.cu

// The two-input forms of Sum, Max and Min over every arithmetic type (elementwise_binary.cu), which the
// variadic operators use when given two inputs.
KernelResult CreateAddKernel(const NodeContext& ctx);
KernelResult CreateMaxKernel(const NodeContext& ctx);
KernelResult CreateMinKernel(const NodeContext& ctx);

}  // namespace missile::ops::cuda::elementwise
