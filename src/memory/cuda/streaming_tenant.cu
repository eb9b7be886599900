#include "device/cuda/cuda_status.h"
#include "memory/cuda/streaming_tenant.h"

namespace missile::memory::cuda {
namespace {

// x = x * a + b over the buffer, 16 bytes per thread and step. The shared memory is only reserved (it keeps
// a second block off the SM), never touched.
__global__ void StreamingPassKernel(float4* data, uint64_t vectors) {
  extern __shared__ float reserved[];
  (void)reserved;
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < vectors; i += stride) {
    float4 v = data[i];
    v.x = v.x * 0.999f + 0.001f;
    v.y = v.y * 0.999f + 0.001f;
    v.z = v.z * 0.999f + 0.001f;
    v.w = v.w * 0.999f + 0.001f;
    data[i] = v;
  }
}

constexpr int kThreads = 1024;

}  // namespace

Result<StreamingTenant> StreamingTenant::Create(int device, void* buffer, uint64_t bytes, int blocks) {
  if (buffer == nullptr || bytes == 0 || bytes % 16 != 0 || blocks <= 0) {
    return Error(ErrorCode::kInvalidArgument, "streaming tenant over {} bytes with {} blocks", bytes, blocks);
  }
  int per_sm = 0;
  int per_block = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaDeviceGetAttribute(&per_block, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  StreamingTenant tenant;
  tenant.buffer_ = buffer;
  tenant.bytes_ = bytes;
  tenant.blocks_ = blocks;
  tenant.shared_bytes_ = std::min<size_t>(per_sm / 2 + 1024, per_block);
  MISSILE_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(StreamingPassKernel,
                                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(tenant.shared_bytes_)));
  return tenant;
}

Status StreamingTenant::EnqueuePass(cudaStream_t stream) const {
  StreamingPassKernel<<<blocks_, kThreads, shared_bytes_, stream>>>(static_cast<float4*>(buffer_),
                                                                    bytes_ / 16);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace missile::memory::cuda
