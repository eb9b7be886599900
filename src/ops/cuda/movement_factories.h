// The CUDA data-movement kernels' factories, one file per mechanism (as ops/cpu groups them), collected into
// MovementKernels() by movement.cu. Their own namespace keeps their names clear of other families'.
#pragma once

#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda::movement {

// movement_strided.cu: strided views of the input, plus the plain copy behind the view operators.
KernelResult CreateViewCopy(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateTranspose(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateSlice(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateExpand(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateTile(const NodeContext& ctx, const BuildContext& build);

// movement_concat_split.cu
KernelResult CreateConcat(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateSplit(const NodeContext& ctx, const BuildContext& build);

// movement_gather_scatter.cu
KernelResult CreateGather(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateScatterND(const NodeContext& ctx, const BuildContext& build);

// movement_pad_resize.cu
KernelResult CreatePad(const NodeContext& ctx, const BuildContext& build);
KernelResult CreateResize(const NodeContext& ctx, const BuildContext& build);

}  // namespace missile::ops::cuda::movement
