// Factories of the CUDA normalization family, registered by NormalizationKernels() (normalization.cu).
#pragma once

#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {

// normalization_rows.cu: normalized rows (LayerNormalization) and planes (InstanceNormalization).
KernelResult CreateLayerNorm(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateInstanceNorm(const NodeContext& ctx, const BuildContext& build);
// normalization_batch.cu: inference BatchNormalization.
KernelResult CreateBatchNorm(const NodeContext& ctx, const BuildContext& build);

}  // namespace missile::ops::cuda
