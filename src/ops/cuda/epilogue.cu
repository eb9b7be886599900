#include "device/cuda/cuda_status.h"
#include "ops/cuda/activation.cuh"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/epilogue.h"
#include "ops/cuda/launch_geometry.cuh"

namespace missile::ops::cuda {
namespace {

template <typename T>
__global__ void EpilogueKernel(EpilogueShape shape, T* y, const T* bias, const T* residual,
                               Activation activation) {
  MISSILE_GRID_STRIDE_LOOP(i, shape.elements) {
    float v = Load(y, i);
    if (bias != nullptr) v += Load(bias, (i / shape.inner) % shape.channels);
    if (residual != nullptr) v += Load(residual, i);
    y[i] = FromCompute<T>(ApplyActivation(activation, v));
  }
}

template <typename T>
Status Enqueue(const EpilogueShape& shape, void* y, const void* bias, const void* residual,
               const Activation& activation, cudaStream_t stream) {
  EpilogueKernel<T><<<BlocksFor(shape.elements), kThreadsPerBlock, 0, stream>>>(
      shape, static_cast<T*>(y), static_cast<const T*>(bias), static_cast<const T*>(residual), activation);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace

Status EnqueueEpilogue(DataType dtype, const EpilogueShape& shape, void* y, const void* bias,
                       const void* residual, const Activation& activation, cudaStream_t stream) {
  if (shape.elements == 0) return Status::Ok();
  switch (dtype) {
    case DataType::kFloat32:
      return Enqueue<float>(shape, y, bias, residual, activation, stream);
    case DataType::kFloat16:
      return Enqueue<__half>(shape, y, bias, residual, activation, stream);
    default:
      return Error(ErrorCode::kUnimplemented, "a fused epilogue on {} is not supported", DataTypeName(dtype));
  }
}

}  // namespace missile::ops::cuda
