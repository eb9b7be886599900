// dst = src broadcast (NumPy rules) to dst's shape: how a GEMM's C is laid into its output before the
// product accumulates onto it.
#pragma once

#include <cuda_runtime.h>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/status.h"
#include "ops/strided_index.h"

namespace missile::ops::cuda {

// Planned once: the index that reads `src_shape` broadcast to `dst_shape`.
Result<StridedIndex> PlanBroadcastCopy(const Shape& src_shape, const Shape& dst_shape);
Status EnqueueBroadcastCopy(DataType dtype, const StridedIndex& index, int64_t elements, const void* src,
                            void* dst, cudaStream_t stream);

}  // namespace missile::ops::cuda
