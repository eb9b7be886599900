// Builders for the cuDNN graph-API descriptors a convolution node needs: tensors, the convolution, pointwise
// steps and the operation graph that joins them. Each returns a finalized descriptor.
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <optional>
#include <span>

#include "core/status.h"
#include "ops/cuda/cudnn/backend_descriptor.h"

namespace missile::ops::cuda::cudnn {

// Every real tensor Missile hands cuDNN starts at least 256-byte aligned (arena, constants and workspaces
// all are); 16 bytes is what cuDNN's vectorised engines ask for.
inline constexpr int64_t kTensorAlignment = 16;

// A packed (row-major) tensor. A virtual tensor is an intermediate inside the graph that never reaches
// memory.
Result<BackendDescriptor> MakeTensor(int64_t uid, cudnnDataType_t type, std::span<const int64_t> dims,
                                     bool is_virtual);

struct ConvolutionGeometry {
  std::span<const int64_t> pre_pads;  // one per spatial dim
  std::span<const int64_t> post_pads;
  std::span<const int64_t> strides;
  std::span<const int64_t> dilations;
};
// A cross-correlation accumulating in float (for float and half data, as PyTorch does).
Result<BackendDescriptor> MakeConvolution(const ConvolutionGeometry& geometry);
// y = conv(x, w). The group count follows from the filter's input channels (x's C / w's C).
Result<BackendDescriptor> MakeConvolutionForward(const BackendDescriptor& x, const BackendDescriptor& w,
                                                 const BackendDescriptor& y,
                                                 const BackendDescriptor& convolution);

struct PointwiseClip {
  float lower = 0.0f;
  float upper = 0.0f;
};
// A pointwise function computed in float; `clip` bounds a ReLU (Clip is ReLU clipped at both ends).
Result<BackendDescriptor> MakePointwise(cudnnPointwiseMode_t mode, std::optional<PointwiseClip> clip = {});
// y = f(x) or, with `b`, y = f(x, b) (b broadcasts over x where its dims are 1).
Result<BackendDescriptor> MakePointwiseOperation(const BackendDescriptor& pointwise,
                                                 const BackendDescriptor& x, const BackendDescriptor* b,
                                                 const BackendDescriptor& y);

Result<BackendDescriptor> MakeOperationGraph(cudnnHandle_t handle,
                                             std::span<const cudnnBackendDescriptor_t> operations);

}  // namespace missile::ops::cuda::cudnn
