// FusedAttention in fp16 with the scores, weights and output in registers (attention_launch.h): the
// flash-attention-2 arrangement on Hopper's mma.sync (m16n8k16, fp16 inputs, fp32 accumulators).
//
// A block of 4 warps takes 64 query rows of one group, each warp 16 of them; K and V tiles of 64 keys are
// staged in shared memory for all four. Fragments come from shared memory with ldmatrix (V transposed on the
// way), and the register layout of mma.sync's accumulators is what makes the rest register-only: lane
// (g = lane / 4, t = lane % 4) holds the scores of rows g and g + 8 at columns 2t and 2t + 1 of every 8-key
// tile, which is also where the next product wants the weights P as its A operand. Each row's maximum is
// reduced over the 4 lanes that share it; the sums stay per lane until the end.
//
// Compared with the WMMA kernel (attention_tiles.cu), which passes scores and the output strip through
// shared memory, this one issues several times fewer instructions per tile; the WMMA kernel keeps TF32.
#include <cuda_fp16.h>

#include <cmath>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/attention_launch.h"
#include "ops/cuda/attention_tile_load.cuh"

namespace missile::ops::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kRows = 16 * kWarps;  // query rows per block
constexpr int kKeys = 64;           // keys per tile (8 tiles of 8 for the products)
constexpr int kThreads = 32 * kWarps;

template <int kD>
struct MmaLayout {
  static constexpr int kLd = kD + 8;  // halves per shared row: 16-byte rows whose 8 ldmatrix rows hit 8 banks
  static constexpr size_t kTileBytes = size_t{kRows} * kLd * sizeof(__half);
  static constexpr size_t kBytes = 3 * kTileBytes;  // Q, K, V
};

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Four 8x8 fp16 matrices; lane l gives the address of row l % 8 of matrix l / 8, and receives in r[i] the
// elements (row l / 4, columns 2 (l % 4), +1) of matrix i, or with kTranspose (rows 2 (l % 4), +1; column
// l / 4).
template <bool kTranspose>
__device__ __forceinline__ void LoadMatrices(uint32_t (&r)[4], const __half* row) {
  if constexpr (kTranspose) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(SharedAddress(row)));
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(SharedAddress(row)));
  }
}

// d += a (16 x 16, row-major) x b (16 x 8, column-major).
__device__ __forceinline__ void Mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats as the fp16 pair of one fragment register: `low` is the lower column.
__device__ __forceinline__ uint32_t Pack(float low, float high) {
  const __half2 pair = __floats2half2_rn(low, high);
  return *reinterpret_cast<const uint32_t*>(&pair);
}

template <int kD, bool kVector>
__global__ void __launch_bounds__(kThreads)
    AttentionMmaKernel(const __half* q, const __half* k, const __half* v, __half* out, AttentionParams p) {
  using L = MmaLayout<kD>;
  constexpr int kSteps = kD / 16;       // k16 steps over the head, and pairs of 8-wide output tiles
  constexpr int kKeyTiles = kKeys / 8;  // 8-key score tiles
  extern __shared__ __align__(128) unsigned char shared[];
  __half* q_tile = reinterpret_cast<__half*>(shared);
  __half* k_tile = reinterpret_cast<__half*>(shared + L::kTileBytes);
  __half* v_tile = reinterpret_cast<__half*>(shared + 2 * L::kTileBytes);
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2;  // the fragment row (and row + 8) this lane holds
  const int t = lane & 3;   // its column pair: 2t, 2t + 1

  const auto work = BlockWork<kRows, __half>::Of(p, k, v);
  const int64_t group = work.group;
  const int64_t i0 = work.first_query;
  const __half* k_group = work.keys;
  const __half* v_group = work.values;
  LoadTileRows<__half, kD, L::kLd, kRows, kThreads, kVector>(q_tile, q + p.q.offset + p.q.GroupOffset(group),
                                                             p.q.seq_stride, i0, p.seq_q, p.head_dim);
  __syncthreads();
  // Q as A fragments: matrices (rows 0-7, 8-15) x (columns 0-7, 8-15 of the step).
  uint32_t query[kSteps][4];
#pragma unroll
  for (int s = 0; s < kSteps; ++s) {
    LoadMatrices<false>(query[s], q_tile + (warp * 16 + (lane & 15)) * L::kLd + s * 16 + (lane >> 4) * 8);
  }

  float acc[2 * kSteps][4] = {};  // output tiles of 8 columns
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.0f, 0.0f};  // this lane's share; reduced over the quad at the end
  const int64_t row[2] = {i0 + warp * 16 + g, i0 + warp * 16 + g + 8};
  int64_t end = p.seq_kv;
  if (p.causal_skip) end = min(end, min(i0 + kRows, p.seq_q) + p.causal_shift);
  for (int64_t n0 = 0; n0 < end; n0 += kKeys) {
    __syncthreads();  // the previous tiles are no longer read
    LoadTileRows<__half, kD, L::kLd, kKeys, kThreads, kVector>(k_tile, k_group, p.k.seq_stride, n0, p.seq_kv,
                                                               p.head_dim);
    LoadTileRows<__half, kD, L::kLd, kKeys, kThreads, kVector>(v_tile, v_group, p.v.seq_stride, n0, p.seq_kv,
                                                               p.value_dim);
    __syncthreads();

    // S = Q K^T: B fragments from K's rows (keys) without transposing; one ldmatrix serves two key tiles.
    float score[kKeyTiles][4] = {};
#pragma unroll
    for (int s = 0; s < kSteps; ++s) {
#pragma unroll
      for (int pair = 0; pair < kKeyTiles / 2; ++pair) {
        uint32_t b[4];
        const int key = pair * 16 + (lane & 7) + ((lane >> 4) << 3);
        LoadMatrices<false>(b, k_tile + key * L::kLd + s * 16 + ((lane >> 3) & 1) * 8);
        Mma(score[2 * pair], query[s], b[0], b[1]);
        Mma(score[2 * pair + 1], query[s], b[2], b[3]);
      }
    }

    // Scale and mask; keys past the end weigh nothing, masked ones score `fill`.
    float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < kKeyTiles; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e >> 1;
        const int64_t j = n0 + n * 8 + 2 * t + (e & 1);
        float x = score[n][e] * p.scale;
        if (j >= p.seq_kv) {
          x = -INFINITY;
        } else if (p.mask != nullptr && row[r] < p.seq_q && p.mask[row[r] * p.seq_kv + j]) {
          x = p.fill;
        }
        score[n][e] = x;
        tile_max[r] = fmaxf(tile_max[r], x);
      }
    }
    float shift[2], rescale[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
      const float new_max = fmaxf(row_max[r], tile_max[r]);
      shift[r] = new_max == -INFINITY ? 0.0f : new_max;  // nothing weighed yet: no inf - inf
      rescale[r] = __expf(row_max[r] - shift[r]);
      row_max[r] = new_max;
      row_sum[r] *= rescale[r];
    }
#pragma unroll
    for (int n = 0; n < kKeyTiles; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float w = __expf(score[n][e] - shift[e >> 1]);
        row_sum[e >> 1] += w;
        score[n][e] = w;
      }
    }
#pragma unroll
    for (int d = 0; d < 2 * kSteps; ++d) {
      acc[d][0] *= rescale[0];
      acc[d][1] *= rescale[0];
      acc[d][2] *= rescale[1];
      acc[d][3] *= rescale[1];
    }

    // O += P V: the weights of key tiles 2s and 2s + 1 are the A fragment of step s as they lie; V's B
    // fragments come transposed (keys 2t, 2t + 1 at one column).
#pragma unroll
    for (int s = 0; s < kKeyTiles / 2; ++s) {
      const uint32_t a[4] = {Pack(score[2 * s][0], score[2 * s][1]), Pack(score[2 * s][2], score[2 * s][3]),
                             Pack(score[2 * s + 1][0], score[2 * s + 1][1]),
                             Pack(score[2 * s + 1][2], score[2 * s + 1][3])};
#pragma unroll
      for (int pair = 0; pair < kSteps; ++pair) {
        uint32_t b[4];
        const int key = s * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        LoadMatrices<true>(b, v_tile + key * L::kLd + pair * 16 + (lane >> 4) * 8);
        Mma(acc[2 * pair], a, b[0], b[1]);
        Mma(acc[2 * pair + 1], a, b[2], b[3]);
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
  }
  __half* out_group = out + p.out.offset + p.out.GroupOffset(group);
#pragma unroll
  for (int d = 0; d < 2 * kSteps; ++d) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const int c = d * 8 + 2 * t + (e & 1);
      if (row[r] < p.seq_q && c < p.value_dim) {
        out_group[row[r] * p.out.seq_stride + c] = __float2half_rn(acc[d][e] / row_sum[r]);
      }
    }
  }
}

int PaddedWidth(int head_dim) {
  for (int width : {32, 64, 128}) {
    if (head_dim <= width) return width;
  }
  return 0;
}

template <int kD, bool kVector>
Status Launch(bool prepare_only, const AttentionParams& p, const void* q, const void* k, const void* v,
              void* out, cudaStream_t stream) {
  constexpr size_t kBytes = MmaLayout<kD>::kBytes;
  if (prepare_only) {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(AttentionMmaKernel<kD, kVector>,
                                                      cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                      static_cast<int>(kBytes)));
    return Status::Ok();
  }
  const int64_t blocks = p.groups * ((p.seq_q + kRows - 1) / kRows);
  AttentionMmaKernel<kD, kVector><<<static_cast<unsigned>(blocks), kThreads, kBytes, stream>>>(
      static_cast<const __half*>(q), static_cast<const __half*>(k), static_cast<const __half*>(v),
      static_cast<__half*>(out), p);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

Status Dispatch(bool prepare_only, const AttentionParams& p, bool vector_loads, const void* q, const void* k,
                const void* v, void* out, cudaStream_t stream) {
  switch (PaddedWidth(p.head_dim) * 2 + (vector_loads ? 1 : 0)) {
    case 64:
      return Launch<32, false>(prepare_only, p, q, k, v, out, stream);
    case 65:
      return Launch<32, true>(prepare_only, p, q, k, v, out, stream);
    case 128:
      return Launch<64, false>(prepare_only, p, q, k, v, out, stream);
    case 129:
      return Launch<64, true>(prepare_only, p, q, k, v, out, stream);
    case 256:
      return Launch<128, false>(prepare_only, p, q, k, v, out, stream);
    case 257:
      return Launch<128, true>(prepare_only, p, q, k, v, out, stream);
    default:
      return Error(ErrorCode::kUnimplemented, "the fp16 attention kernel takes heads up to 128, got {}",
                   p.head_dim);
  }
}

}  // namespace

Status PrepareAttentionMma(const AttentionParams& params, bool vector_loads) {
  return Dispatch(true, params, vector_loads, nullptr, nullptr, nullptr, nullptr, nullptr);
}

Status LaunchAttentionMma(const AttentionParams& params, bool vector_loads, const void* q, const void* k,
                          const void* v, void* out, cudaStream_t stream) {
  return Dispatch(false, params, vector_loads, q, k, v, out, stream);
}

}  // namespace missile::ops::cuda
