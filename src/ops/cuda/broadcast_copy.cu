#include "device/cuda/cuda_status.h"
#include "ops/cuda/broadcast_copy.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"

namespace missile::ops::cuda {
namespace {

template <typename T>
__global__ void BroadcastCopyKernel(StridedIndex index, int64_t elements, const T* src, T* dst) {
  MISSILE_GRID_STRIDE_LOOP(i, elements) {
    dst[i] = src[index.Offset(i)];
  }
}

template <typename T>
Status Launch(const StridedIndex& index, int64_t elements, const void* src, void* dst, cudaStream_t stream) {
  BroadcastCopyKernel<T><<<BlocksFor(elements), kThreadsPerBlock, 0, stream>>>(
      index, elements, static_cast<const T*>(src), static_cast<T*>(dst));
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace

Result<StridedIndex> PlanBroadcastCopy(const Shape& src_shape, const Shape& dst_shape) {
  const std::vector<int64_t> strides = BroadcastStrides(src_shape, dst_shape);
  return MakeStridedIndex(dst_shape, strides);
}

Status EnqueueBroadcastCopy(DataType dtype, const StridedIndex& index, int64_t elements, const void* src,
                            void* dst, cudaStream_t stream) {
  if (elements == 0) return Status::Ok();
  return DispatchBySize(dtype,
                        [&](auto unit) { return Launch<decltype(unit)>(index, elements, src, dst, stream); });
}

}  // namespace missile::ops::cuda
