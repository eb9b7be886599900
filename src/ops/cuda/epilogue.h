// The epilogue of convolutions and GEMMs when the library cannot fuse it: one pass over the output adding a
// per-channel bias and a residual, then the fused activation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"
#include "core/status.h"
#include "ops/activation.h"

namespace missile::ops::cuda {

struct EpilogueShape {
  int64_t elements = 0;  // of the output
  int64_t channels = 1;  // bias[c] applies to element i with c = (i / inner) % channels
  int64_t inner = 1;     // elements per channel run: H*W for NCHW convolutions, 1 for a GEMM's [M, N]
};

// y = act(y + bias + residual), in place; `bias` and `residual` may be null. y's dtype: float32 or float16.
Status EnqueueEpilogue(DataType dtype, const EpilogueShape& shape, void* y, const void* bias,
                       const void* residual, const Activation& activation, cudaStream_t stream);

}  // namespace missile::ops::cuda
