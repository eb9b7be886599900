// Factories of the CUDA pooling family, registered by PoolKernels() (pool.cu).
#pragma once

#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {

// pool_window.cu: windowed pools over 1-D to 3-D inputs.
KernelResult CreateMaxPool(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateAveragePool(const NodeContext& ctx, const BuildContext& build);
// pool_global.cu: one value per (n, c) plane.
KernelResult CreateGlobalMaxPool(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateGlobalAveragePool(const NodeContext& ctx, const BuildContext& build);

}  // namespace missile::ops::cuda
