#include "device/cuda/cuda_status.h"
#include "ops/cuda/broadcast_copy.h"
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
  switch (DataTypeSize(dtype)) {
    case 2:
      return Launch<uint16_t>(index, elements, src, dst, stream);
    case 4:
      return Launch<uint32_t>(index, elements, src, dst, stream);
    case 8:
      return Launch<uint64_t>(index, elements, src, dst, stream);
    default:
      return Error(ErrorCode::kUnimplemented, "broadcasting {} on the GPU", DataTypeName(dtype));
  }
}

}  // namespace missile::ops::cuda
