// The operation graph of one convolution node: the convolution, then (when the node fuses them and cuDNN can
// take them) the bias add, residual add and activation as pointwise steps on float intermediates, so one
// engine writes the final output.
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "ops/activation.h"
#include "ops/conv_engine_policy.h"
#include "ops/cuda/cudnn/backend_descriptor.h"

namespace missile::ops::cuda::cudnn {

struct ConvGraphShape {
  cudnnDataType_t data_type = CUDNN_DATA_FLOAT;  // of X, W, bias, residual and Y
  std::vector<int64_t> x_dims;                   // [N, C, spatial...], at least two spatial dims
  std::vector<int64_t> w_dims;                   // [K, C / groups, kernel...]
  std::vector<int64_t> y_dims;
  std::vector<int64_t> pre_pads;  // one per spatial dim
  std::vector<int64_t> post_pads;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
};

// The unique ids of the real tensors (what a variant pack binds).
enum ConvTensorUid : int64_t { kConvX = 1, kConvW = 2, kConvY = 3, kConvBias = 4, kConvResidual = 5 };

struct ConvGraph {
  BackendDescriptor graph;
  // The tensors and operations the graph was built from, kept alive as long as it is.
  std::vector<BackendDescriptor> parts;
  // The real tensors, in the order Run binds them: X, W, Y, then bias and residual when the graph adds them.
  std::vector<int64_t> uids;
  std::vector<PointwiseStep> steps;
};

// `steps` from GraphEpilogueSteps (empty: the bare convolution); `activation` supplies the clip bounds.
Result<ConvGraph> BuildConvGraph(cudnnHandle_t handle, const ConvGraphShape& shape,
                                 std::span<const PointwiseStep> steps, const Activation& activation);

}  // namespace missile::ops::cuda::cudnn
