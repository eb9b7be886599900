// Zero padding of a convolution's input, for pads cuDNN cannot express: cuDNN pads symmetrically, ONNX
// (auto_pad SAME_*, explicit pads) may not.
#pragma once

#include <cuda_runtime.h>

#include "core/dtype.h"
#include "core/status.h"
#include "ops/window_geometry.h"

namespace missile::ops::cuda {

// The input dims ([d, h, w], 1-padded as in Window3d) once pads are applied to both ends.
std::array<int64_t, 3> PaddedInputDims(const Window3d& window);

// padded[nc, d, h, w] = x[nc, d - begin_d, h - begin_h, w - begin_w], 0 outside; `planes` = N * C.
Status EnqueueZeroPad(DataType dtype, const Window3d& window, int64_t planes, const void* x, void* padded,
                      cudaStream_t stream);

}  // namespace missile::ops::cuda
