#include "ops/cuda/cudnn/operations.h"

#include <vector>

namespace missile::ops::cuda::cudnn {

Result<BackendDescriptor> MakeTensor(int64_t uid, cudnnDataType_t type, std::span<const int64_t> dims,
                                     bool is_virtual) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor tensor,
                           BackendDescriptor::Create(CUDNN_BACKEND_TENSOR_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(tensor.SetDataType(CUDNN_ATTR_TENSOR_DATA_TYPE, type));
  MISSILE_RETURN_IF_ERROR(tensor.SetInt64s(CUDNN_ATTR_TENSOR_DIMENSIONS, dims));
  MISSILE_RETURN_IF_ERROR(tensor.SetInt64s(CUDNN_ATTR_TENSOR_STRIDES, strides));
  MISSILE_RETURN_IF_ERROR(tensor.SetInt64(CUDNN_ATTR_TENSOR_UNIQUE_ID, uid));
  MISSILE_RETURN_IF_ERROR(tensor.SetInt64(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, kTensorAlignment));
  MISSILE_RETURN_IF_ERROR(tensor.SetBool(CUDNN_ATTR_TENSOR_IS_VIRTUAL, is_virtual));
  MISSILE_RETURN_IF_ERROR(tensor.Finalize());
  return tensor;
}

Result<BackendDescriptor> MakeConvolution(const ConvolutionGeometry& geometry) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor conv,
                           BackendDescriptor::Create(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(conv.SetDataType(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_DATA_FLOAT));
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  MISSILE_RETURN_IF_ERROR(conv.Set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode));
  MISSILE_RETURN_IF_ERROR(
      conv.SetInt64(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, static_cast<int64_t>(geometry.strides.size())));
  MISSILE_RETURN_IF_ERROR(conv.SetInt64s(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, geometry.pre_pads));
  MISSILE_RETURN_IF_ERROR(conv.SetInt64s(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, geometry.post_pads));
  MISSILE_RETURN_IF_ERROR(conv.SetInt64s(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, geometry.strides));
  MISSILE_RETURN_IF_ERROR(conv.SetInt64s(CUDNN_ATTR_CONVOLUTION_DILATIONS, geometry.dilations));
  MISSILE_RETURN_IF_ERROR(conv.Finalize());
  return conv;
}

Result<BackendDescriptor> MakeConvolutionForward(const BackendDescriptor& x, const BackendDescriptor& w,
                                                 const BackendDescriptor& y,
                                                 const BackendDescriptor& convolution) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor op,
                           BackendDescriptor::Create(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, x));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, w));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, y));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, convolution));
  MISSILE_RETURN_IF_ERROR(op.SetFloat(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, 1.0f));
  MISSILE_RETURN_IF_ERROR(op.SetFloat(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, 0.0f));
  MISSILE_RETURN_IF_ERROR(op.Finalize());
  return op;
}

Result<BackendDescriptor> MakePointwise(cudnnPointwiseMode_t mode, std::optional<PointwiseClip> clip) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor pointwise,
                           BackendDescriptor::Create(CUDNN_BACKEND_POINTWISE_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(pointwise.Set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode));
  MISSILE_RETURN_IF_ERROR(pointwise.SetDataType(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_DATA_FLOAT));
  if (clip) {
    // The clip values take the math precision's type (float).
    MISSILE_RETURN_IF_ERROR(pointwise.SetFloat(CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, clip->lower));
    MISSILE_RETURN_IF_ERROR(pointwise.SetFloat(CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, clip->upper));
  }
  MISSILE_RETURN_IF_ERROR(pointwise.Finalize());
  return pointwise;
}

Result<BackendDescriptor> MakePointwiseOperation(const BackendDescriptor& pointwise,
                                                 const BackendDescriptor& x, const BackendDescriptor* b,
                                                 const BackendDescriptor& y) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor op,
                           BackendDescriptor::Create(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pointwise));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x));
  if (b != nullptr) MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b));
  MISSILE_RETURN_IF_ERROR(op.SetDescriptor(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y));
  MISSILE_RETURN_IF_ERROR(op.Finalize());
  return op;
}

Result<BackendDescriptor> MakeOperationGraph(cudnnHandle_t handle,
                                             std::span<const cudnnBackendDescriptor_t> operations) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor graph,
                           BackendDescriptor::Create(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(graph.SetHandle(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, handle));
  MISSILE_RETURN_IF_ERROR(graph.SetDescriptors(CUDNN_ATTR_OPERATIONGRAPH_OPS, operations));
  MISSILE_RETURN_IF_ERROR(graph.Finalize());
  return graph;
}

}  // namespace missile::ops::cuda::cudnn
