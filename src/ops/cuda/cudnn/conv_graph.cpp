#include "ops/cuda/cudnn/conv_graph.h"

#include "ops/cuda/cudnn/operations.h"

namespace missile::ops::cuda::cudnn {
namespace {

// Intermediates (virtual tensors) get ids from here on.
constexpr int64_t kFirstVirtualUid = 100;

}  // namespace

Result<ConvGraph> BuildConvGraph(cudnnHandle_t handle, const ConvGraphShape& shape,
                                 std::span<const PointwiseStep> steps, const Activation& activation) {
  ConvGraph result;
  result.steps.assign(steps.begin(), steps.end());
  std::vector<cudnnBackendDescriptor_t> operations;
  auto keep = [&result](BackendDescriptor descriptor) -> const BackendDescriptor& {
    result.parts.push_back(std::move(descriptor));
    return result.parts.back();
  };
  // parts grows while the graph is built: keep indices, not references, to what later steps read.
  auto part = [&result](size_t index) -> const BackendDescriptor& { return result.parts[index]; };

  MISSILE_ASSIGN_OR_RETURN(auto x, MakeTensor(kConvX, shape.data_type, shape.x_dims, false));
  MISSILE_ASSIGN_OR_RETURN(auto w, MakeTensor(kConvW, shape.data_type, shape.w_dims, false));
  MISSILE_ASSIGN_OR_RETURN(auto y, MakeTensor(kConvY, shape.data_type, shape.y_dims, false));
  keep(std::move(x));
  const size_t x_index = result.parts.size() - 1;
  keep(std::move(w));
  const size_t w_index = result.parts.size() - 1;
  keep(std::move(y));
  const size_t y_index = result.parts.size() - 1;
  result.uids = {kConvX, kConvW, kConvY};

  // The convolution writes Y itself when nothing follows it, else a float intermediate.
  size_t current = y_index;
  int64_t next_virtual = kFirstVirtualUid;
  if (!steps.empty()) {
    MISSILE_ASSIGN_OR_RETURN(auto conv_out, MakeTensor(next_virtual++, CUDNN_DATA_FLOAT, shape.y_dims, true));
    keep(std::move(conv_out));
    current = result.parts.size() - 1;
  }
  MISSILE_ASSIGN_OR_RETURN(
      auto convolution, MakeConvolution({shape.pre_pads, shape.post_pads, shape.strides, shape.dilations}));
  keep(std::move(convolution));
  const size_t convolution_index = result.parts.size() - 1;
  {
    MISSILE_ASSIGN_OR_RETURN(auto op, MakeConvolutionForward(part(x_index), part(w_index), part(current),
                                                             part(convolution_index)));
    operations.push_back(keep(std::move(op)).get());
  }

  for (size_t s = 0; s < steps.size(); ++s) {
    const bool last = s + 1 == steps.size();
    size_t out = y_index;
    if (!last) {
      MISSILE_ASSIGN_OR_RETURN(auto t, MakeTensor(next_virtual++, CUDNN_DATA_FLOAT, shape.y_dims, true));
      keep(std::move(t));
      out = result.parts.size() - 1;
    }
    std::optional<size_t> operand;  // the second input of a binary step
    cudnnPointwiseMode_t mode = CUDNN_POINTWISE_ADD;
    std::optional<PointwiseClip> clip;
    switch (steps[s]) {
      case PointwiseStep::kAddBias: {
        std::vector<int64_t> bias_dims(shape.y_dims.size(), 1);
        bias_dims[1] = shape.y_dims[1];
        MISSILE_ASSIGN_OR_RETURN(auto bias, MakeTensor(kConvBias, shape.data_type, bias_dims, false));
        keep(std::move(bias));
        operand = result.parts.size() - 1;
        result.uids.push_back(kConvBias);
        break;
      }
      case PointwiseStep::kAddResidual: {
        MISSILE_ASSIGN_OR_RETURN(auto residual,
                                 MakeTensor(kConvResidual, shape.data_type, shape.y_dims, false));
        keep(std::move(residual));
        operand = result.parts.size() - 1;
        result.uids.push_back(kConvResidual);
        break;
      }
      case PointwiseStep::kRelu:
        mode = CUDNN_POINTWISE_RELU_FWD;
        break;
      case PointwiseStep::kClip:
        mode = CUDNN_POINTWISE_RELU_FWD;
        clip = PointwiseClip{activation.min, activation.max};
        break;
      case PointwiseStep::kSigmoid:
        mode = CUDNN_POINTWISE_SIGMOID_FWD;
        break;
    }
    MISSILE_ASSIGN_OR_RETURN(auto pointwise, MakePointwise(mode, clip));
    keep(std::move(pointwise));
    const size_t pointwise_index = result.parts.size() - 1;
    MISSILE_ASSIGN_OR_RETURN(auto op, MakePointwiseOperation(part(pointwise_index), part(current),
                                                             operand ? &part(*operand) : nullptr, part(out)));
    operations.push_back(keep(std::move(op)).get());
    current = out;
  }
  MISSILE_ASSIGN_OR_RETURN(result.graph, MakeOperationGraph(handle, operations));
  return result;
}

}  // namespace missile::ops::cuda::cudnn
