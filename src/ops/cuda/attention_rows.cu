// FusedAttention, one warp per query row (attention_launch.h): the lanes split the head's features, each
// score is a warp-wide dot product, and the softmax runs online (a running maximum, the sum and the output
// rescaled whenever the maximum grows), all in float with expf: exact enough to match the CPU backend at
// the op cases' 1e-5.
#include <cmath>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/attention_launch.h"
#include "ops/cuda/device_types.cuh"

namespace missile::ops::cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // warps
constexpr int kPerLane = static_cast<int>(kMaxAttentionHeadDim / 32);

template <typename T>
__global__ void __launch_bounds__(kRowsPerBlock * 32)
    AttentionRowsKernel(const T* q, const T* k, const T* v, T* out, AttentionParams p) {
  const int lane = threadIdx.x & 31;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + (threadIdx.x >> 5);
  if (row >= p.groups * p.seq_q) return;  // a whole warp leaves together
  const int64_t g = row / p.seq_q;
  const int64_t i = row % p.seq_q;
  const T* q_row = q + p.q.offset + p.q.GroupOffset(g) + i * p.q.seq_stride;
  const T* k_group = k + p.k.offset + p.k.GroupOffset(g);
  const T* v_group = v + p.v.offset + p.v.GroupOffset(g);

  float query[kPerLane], acc[kPerLane];
#pragma unroll
  for (int t = 0; t < kPerLane; ++t) {
    const int d = lane + 32 * t;
    query[t] = d < p.head_dim ? Load(q_row, d) : 0.0f;
    acc[t] = 0.0f;
  }
  float running_max = -INFINITY;
  float sum = 0.0f;
  const int64_t end = p.causal_skip ? min(p.seq_kv, i + p.causal_shift + 1) : p.seq_kv;
  for (int64_t j = 0; j < end; ++j) {
    float score;
    if (p.mask != nullptr && p.mask[i * p.seq_kv + j]) {
      score = p.fill;
    } else {
      const T* k_row = k_group + j * p.k.seq_stride;
      float dot = 0.0f;
#pragma unroll
      for (int t = 0; t < kPerLane; ++t) {
        const int d = lane + 32 * t;
        if (d < p.head_dim) dot += query[t] * Load(k_row, d);
      }
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
      score = p.scale * dot;
    }
    const float next_max = fmaxf(running_max, score);
    // While every score so far is -inf there is nothing to weigh: subtract 0 instead (no inf - inf).
    const float shift = next_max == -INFINITY ? 0.0f : next_max;
    const float rescale = expf(running_max - shift);
    const float weight = expf(score - shift);
    sum = sum * rescale + weight;
    const T* v_row = v_group + j * p.v.seq_stride;
#pragma unroll
    for (int t = 0; t < kPerLane; ++t) {
      const int d = lane + 32 * t;
      if (d < p.value_dim) acc[t] = acc[t] * rescale + weight * Load(v_row, d);
    }
    running_max = next_max;
  }
  T* o_row = out + p.out.offset + p.out.GroupOffset(g) + i * p.out.seq_stride;
#pragma unroll
  for (int t = 0; t < kPerLane; ++t) {
    const int d = lane + 32 * t;
    if (d < p.value_dim) o_row[d] = FromCompute<T>(acc[t] / sum);
  }
}

template <typename T>
Status Launch(const AttentionParams& p, const void* q, const void* k, const void* v, void* out,
              cudaStream_t stream) {
  const int64_t rows = p.groups * p.seq_q;
  const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  AttentionRowsKernel<T><<<blocks, kRowsPerBlock * 32, 0, stream>>>(
      static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), static_cast<T*>(out), p);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace

Status LaunchAttentionRows(DataType dtype, const AttentionParams& params, const void* q, const void* k,
                           const void* v, void* out, cudaStream_t stream) {
  switch (dtype) {
    case DataType::kFloat32:
      return Launch<float>(params, q, k, v, out, stream);
    case DataType::kFloat16:
      return Launch<__half>(params, q, k, v, out, stream);
    default:
      return Error(ErrorCode::kUnimplemented, "FusedAttention on {} is not supported by the CUDA backend",
                   DataTypeName(dtype));
  }
}

}  // namespace missile::ops::cuda
