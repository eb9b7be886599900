// Owned cuDNN descriptors: created once when a kernel is built, destroyed with it.
#pragma once

#include <cudnn.h>

#include <memory>
#include <span>
#include <type_traits>

#include "core/dtype.h"
#include "core/status.h"

namespace missile::ops::cuda {

template <typename Handle, cudnnStatus_t (*Destroy)(Handle)>
struct CudnnDeleter {
  void operator()(Handle handle) const { Destroy(handle); }
};

using TensorDescriptor = std::unique_ptr<std::remove_pointer_t<cudnnTensorDescriptor_t>,
                                         CudnnDeleter<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>>;
using FilterDescriptor = std::unique_ptr<std::remove_pointer_t<cudnnFilterDescriptor_t>,
                                         CudnnDeleter<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>>;
using ConvolutionDescriptor =
    std::unique_ptr<std::remove_pointer_t<cudnnConvolutionDescriptor_t>,
                    CudnnDeleter<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>>;
using ActivationDescriptor =
    std::unique_ptr<std::remove_pointer_t<cudnnActivationDescriptor_t>,
                    CudnnDeleter<cudnnActivationDescriptor_t, cudnnDestroyActivationDescriptor>>;

Result<cudnnDataType_t> CudnnDataType(DataType dtype);

// A packed (row-major) tensor of at least 4 dims: cuDNN's Nd calls reject fewer, so shorter shapes are padded
// with trailing 1s.
Result<TensorDescriptor> MakeTensorDescriptor(DataType dtype, std::span<const int64_t> shape);
Result<FilterDescriptor> MakeFilterDescriptor(DataType dtype, std::span<const int64_t> shape);

}  // namespace missile::ops::cuda
