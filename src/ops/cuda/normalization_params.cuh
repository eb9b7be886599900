// The normalizations' parameter tensors (scale, bias, mean, variance) read as float whatever their float
// dtype: at fp16 they are usually float16 like the data, but a parameter left in float32 works as well, at
// the cost of one uniform branch per read.
#pragma once

#include <cuda_fp16.h>

#include "ops/cuda/device_types.cuh"

namespace missile::ops::cuda {

struct FloatParams {
  const void* data = nullptr;
  bool half = false;

  __device__ __forceinline__ float operator[](int64_t i) const {
    return half ? __half2float(static_cast<const __half*>(data)[i]) : static_cast<const float*>(data)[i];
  }
};

// Fails unless input i is float32 or float16 (what FloatParams reads).
inline Status RequireFloatParams(const NodeContext& ctx, size_t i) {
  const DataType dtype = ctx.input_dtype(i);
  if (dtype == DataType::kFloat32 || dtype == DataType::kFloat16) return Status::Ok();
  return Error(ErrorCode::kUnimplemented, "{} input {} on {} is not supported by the CUDA backend",
               ctx.op_type(), i, DataTypeName(dtype));
}

}  // namespace missile::ops::cuda
