#include "device/cuda/cuda_status.h"
#include "stream_read.h"

namespace missile::bench {
namespace {

constexpr int kThreads = 512;

__global__ void StreamReadKernel(const float4* __restrict__ data, uint64_t vectors, float* sink) {
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  float acc = 0;
  uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  // Four independent loads in flight per thread.
  for (; i + 3 * stride < vectors; i += 4 * stride) {
    const float4 a = __ldcs(data + i), b = __ldcs(data + i + stride), c = __ldcs(data + i + 2 * stride),
                 d = __ldcs(data + i + 3 * stride);
    acc += a.x + a.y + a.z + a.w + b.x + b.y + b.z + b.w + c.x + c.y + c.z + c.w + d.x + d.y + d.z + d.w;
  }
  for (; i < vectors; i += stride) {
    const float4 a = __ldcs(data + i);
    acc += a.x + a.y + a.z + a.w;
  }
  if (acc == 1234.5678f) sink[blockIdx.x] = acc;  // the buffer is zeros: never true
}

}  // namespace

Result<StreamRead> StreamRead::Create(const void* buffer, uint64_t bytes) {
  if (buffer == nullptr || bytes == 0 || bytes % 16 != 0) {
    return Error(ErrorCode::kInvalidArgument, "streaming read over {} bytes", bytes);
  }
  StreamRead read;
  read.buffer_ = buffer;
  read.bytes_ = bytes;
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&read.blocks_per_sm_, StreamReadKernel, kThreads, 0));
  void* sink = nullptr;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMalloc(&sink, 65536 * sizeof(float)));  // lives as long as the process
  read.sink_ = static_cast<float*>(sink);
  return read;
}

Status StreamRead::Enqueue(cudaStream_t stream, int sms) const {
  const int blocks = std::min(65536, std::max(1, sms) * blocks_per_sm_);
  StreamReadKernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float4*>(buffer_), bytes_ / 16, sink_);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace missile::bench
