// Element types on the GPU: which C++ type stores each DataType, the type arithmetic is done in (fp16 is
// computed in fp32 and rounded once on store), and typed dispatch for kernel factories.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <string_view>

#include "core/dtype.h"
#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {

// The arithmetic type for a storage type: float for half, the type itself otherwise.
template <typename T>
struct ComputeTypeOf {
  using type = T;
};
template <>
struct ComputeTypeOf<__half> {
  using type = float;
};
template <typename T>
using ComputeType = typename ComputeTypeOf<T>::type;

template <typename T>
__device__ __forceinline__ ComputeType<T> Load(const T* p, int64_t i) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(p[i]);
  } else {
    return p[i];
  }
}

template <typename T>
__device__ __forceinline__ T FromCompute(ComputeType<T> v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else {
    return v;
  }
}

// Calls make(T{}) for the float types a GPU kernel computes in (float32, float16).
template <typename Make>
KernelResult DispatchFloat(DataType dtype, std::string_view what, Make&& make) {
  switch (dtype) {
    case DataType::kFloat32:
      return make(float{});
    case DataType::kFloat16:
      return make(__half{});
    default:
      return Error(ErrorCode::kUnimplemented, "{} on {} is not supported by the CUDA backend", what,
                   DataTypeName(dtype));
  }
}

// Calls make(T{}) for every arithmetic type of the CUDA backend: float32, float16, float64, int64, int32.
template <typename Make>
KernelResult DispatchArithmetic(DataType dtype, std::string_view what, Make&& make) {
  switch (dtype) {
    case DataType::kFloat32:
      return make(float{});
    case DataType::kFloat16:
      return make(__half{});
    case DataType::kFloat64:
      return make(double{});
    case DataType::kInt64:
      return make(int64_t{});
    case DataType::kInt32:
      return make(int32_t{});
    default:
      return Error(ErrorCode::kUnimplemented, "{} on {} is not supported by the CUDA backend", what,
                   DataTypeName(dtype));
  }
}

// Calls make(T{}) with a type of the same size as `dtype`, for kernels that only move bytes (copies,
// gathers, transposes): one instantiation serves every dtype of that width. Returns what make returns (a
// kernel from a factory, a Status from a launch).
template <typename Make>
auto DispatchBySize(DataType dtype, Make&& make) -> decltype(make(uint8_t{})) {
  switch (DataTypeSize(dtype)) {
    case 1:
      return make(uint8_t{});
    case 2:
      return make(uint16_t{});
    case 4:
      return make(uint32_t{});
    case 8:
      return make(uint64_t{});
    default:
      return Error(ErrorCode::kUnimplemented, "elements of {} bytes are not supported by the CUDA backend",
                   DataTypeSize(dtype));
  }
}

}  // namespace missile::ops::cuda
