#include "ops/cuda/cudnn_descriptors.h"

#include <climits>
#include <vector>

#include "device/cuda/cuda_status.h"

namespace missile::ops::cuda {
namespace {

Result<std::vector<int>> PaddedDims(std::span<const int64_t> shape) {
  std::vector<int> dims;
  for (int64_t d : shape) {
    if (d > INT_MAX) return Error(ErrorCode::kUnimplemented, "cuDNN takes dims below 2^31, got {}", d);
    dims.push_back(static_cast<int>(d));
  }
  while (dims.size() < 4) dims.push_back(1);
  return dims;
}

}  // namespace

Result<cudnnDataType_t> CudnnDataType(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32:
      return CUDNN_DATA_FLOAT;
    case DataType::kFloat16:
      return CUDNN_DATA_HALF;
    default:
      return Error(ErrorCode::kUnimplemented, "cuDNN operators on {} are not supported", DataTypeName(dtype));
  }
}

Result<TensorDescriptor> MakeTensorDescriptor(DataType dtype, std::span<const int64_t> shape) {
  MISSILE_ASSIGN_OR_RETURN(cudnnDataType_t type, CudnnDataType(dtype));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> dims, PaddedDims(shape));
  std::vector<int> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  cudnnTensorDescriptor_t raw = nullptr;
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&raw));
  TensorDescriptor descriptor(raw);
  MISSILE_CUDNN_RETURN_IF_ERROR(
      cudnnSetTensorNdDescriptor(raw, type, static_cast<int>(dims.size()), dims.data(), strides.data()));
  return descriptor;
}

Result<FilterDescriptor> MakeFilterDescriptor(DataType dtype, std::span<const int64_t> shape) {
  MISSILE_ASSIGN_OR_RETURN(cudnnDataType_t type, CudnnDataType(dtype));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int> dims, PaddedDims(shape));
  cudnnFilterDescriptor_t raw = nullptr;
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreateFilterDescriptor(&raw));
  FilterDescriptor descriptor(raw);
  MISSILE_CUDNN_RETURN_IF_ERROR(
      cudnnSetFilterNdDescriptor(raw, type, CUDNN_TENSOR_NCHW, static_cast<int>(dims.size()), dims.data()));
  return descriptor;
}

}  // namespace missile::ops::cuda
