// FusedAttention with the scores, weights and output in registers (attention_launch.h): the
// flash-attention-2 arrangement on mma.sync, fp16 on m16n8k16 and fp32 as TF32 on m16n8k8, both with fp32
// accumulators.
//
// A block of 4 warps takes 64 query rows of one group, each warp 16 of them; K and V tiles of 64 keys are
// staged in shared memory for all four. The register layout of mma.sync's accumulators is what makes the rest
// register-only: lane (g = lane / 4, t = lane % 4) holds the scores of rows g and g + 8 at columns 2t and
// 2t + 1 of every 8-key tile. Each row's maximum is reduced over the 4 lanes that share it; the sums stay per
// lane until the end. Only the operand fragments differ by type (MmaOperands below):
//  * fp16: fragments come from shared memory with ldmatrix (V transposed on the way), and the scores of two
//    8-key tiles are, as they lie, the weights P of one 16-key A operand.
//  * TF32: A's lane t holds columns t and t + 4 of an 8-wide step, the scores columns 2t and 2t + 1. The
//    keys of P V may be summed in any order shared by P and V, so step s pairs A's column t with key 2t and
//    column t + 4 with key 2t + 1, and V's B fragment is read in that order: no shuffles. Values are rounded
//    to TF32 (to nearest) as they are read, as the WMMA kernel does.
//
// Compared with the WMMA kernel (attention_tiles.cu), which passes scores and the output strip through
// shared memory, this one issues several times fewer instructions per tile.
#include <cuda_fp16.h>

#include <cmath>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/attention_launch.h"
#include "ops/cuda/attention_tile_load.cuh"

namespace missile::ops::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kRows = 16 * kWarps;    // query rows per block
constexpr int kKeys = 64;             // keys per tile
constexpr int kKeyTiles = kKeys / 8;  // 8-key score tiles
constexpr int kThreads = 32 * kWarps;

using Scores = float[kKeyTiles][4];  // one warp's 16 x 64 scores (then weights) in accumulator layout

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

template <typename T>
struct MmaOperands;

template <>
struct MmaOperands<__half> {
  static constexpr int kPad = 8;    // halves of row padding: 16-byte rows whose 8 ldmatrix rows hit 8 banks
  static constexpr int kStep = 16;  // head columns per product

  // Four 8x8 fp16 matrices; lane l gives the address of row l % 8 of matrix l / 8, and receives in r[i] the
  // elements (row l / 4, columns 2 (l % 4), +1) of matrix i, or with kTranspose (rows 2 (l % 4), +1; column
  // l / 4).
  template <bool kTranspose>
  __device__ static void LoadMatrices(uint32_t (&r)[4], const __half* row) {
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
  __device__ static void Mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }

  // Two floats as the fp16 pair of one fragment register: `low` is the lower column.
  __device__ static uint32_t Pack(float low, float high) {
    const __half2 pair = __floats2half2_rn(low, high);
    return *reinterpret_cast<const uint32_t*>(&pair);
  }

  // The warp's 16 query rows (`rows`: the first) as A fragments: matrices (rows 0-7, 8-15) x (columns 0-7,
  // 8-15 of the step).
  template <int kD, int kLd>
  __device__ static void LoadQuery(uint32_t (&query)[kD / kStep][4], const __half* rows, int lane) {
#pragma unroll
    for (int s = 0; s < kD / kStep; ++s) {
      LoadMatrices<false>(query[s], rows + (lane & 15) * kLd + s * 16 + (lane >> 4) * 8);
    }
  }

  // S = Q K^T: B fragments from K's rows (keys) without transposing; one ldmatrix serves two key tiles.
  template <int kD, int kLd>
  __device__ static void AddScores(Scores& score, const uint32_t (&query)[kD / kStep][4], const __half* keys,
                                   int lane) {
#pragma unroll
    for (int s = 0; s < kD / kStep; ++s) {
#pragma unroll
      for (int pair = 0; pair < kKeyTiles / 2; ++pair) {
        uint32_t b[4];
        const int key = pair * 16 + (lane & 7) + ((lane >> 4) << 3);
        LoadMatrices<false>(b, keys + key * kLd + s * 16 + ((lane >> 3) & 1) * 8);
        Mma(score[2 * pair], query[s], b[0], b[1]);
        Mma(score[2 * pair + 1], query[s], b[2], b[3]);
      }
    }
  }

  // O += P V: the weights of key tiles 2s and 2s + 1 are the A fragment of step s as they lie; V's B
  // fragments come transposed (keys 2t, 2t + 1 at one column).
  template <int kD, int kLd>
  __device__ static void AddWeightedValues(float (&acc)[kD / 8][4], const Scores& weight,
                                           const __half* values, int lane) {
#pragma unroll
    for (int s = 0; s < kKeyTiles / 2; ++s) {
      const uint32_t a[4] = {
          Pack(weight[2 * s][0], weight[2 * s][1]), Pack(weight[2 * s][2], weight[2 * s][3]),
          Pack(weight[2 * s + 1][0], weight[2 * s + 1][1]), Pack(weight[2 * s + 1][2], weight[2 * s + 1][3])};
#pragma unroll
      for (int pair = 0; pair < kD / 16; ++pair) {
        uint32_t b[4];
        const int key = s * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
        LoadMatrices<true>(b, values + key * kLd + pair * 16 + (lane >> 4) * 8);
        Mma(acc[2 * pair], a, b[0], b[1]);
        Mma(acc[2 * pair + 1], a, b[2], b[3]);
      }
    }
  }

  __device__ static __half FromFloat(float x) {
    return __float2half_rn(x);
  }
};

template <>
struct MmaOperands<float> {
  // Floats of row padding: with rows kD + 4 floats apart (kD a multiple of 32), the 32 lanes' reads of
  // (row g or 2t, column t or g) fall in 32 different banks.
  static constexpr int kPad = 4;
  static constexpr int kStep = 8;

  __device__ static uint32_t Tf32(float x) {
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
  }

  // d += a (16 x 8, row-major) x b (8 x 8, column-major). Fragments: a = (g, t), (g + 8, t), (g, t + 4),
  // (g + 8, t + 4); b = (row t, column g), (t + 4, g).
  __device__ static void Mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }

  template <int kD, int kLd>
  __device__ static void LoadQuery(uint32_t (&query)[kD / kStep][4], const float* rows, int lane) {
    const float* lane_rows = rows + (lane >> 2) * kLd + (lane & 3);
#pragma unroll
    for (int s = 0; s < kD / kStep; ++s) {
      query[s][0] = Tf32(lane_rows[s * 8]);
      query[s][1] = Tf32(lane_rows[8 * kLd + s * 8]);
      query[s][2] = Tf32(lane_rows[s * 8 + 4]);
      query[s][3] = Tf32(lane_rows[8 * kLd + s * 8 + 4]);
    }
  }

  // S = Q K^T: B(row d, column j) = K[j][d], so lane (g, t) reads key g's columns t and t + 4.
  template <int kD, int kLd>
  __device__ static void AddScores(Scores& score, const uint32_t (&query)[kD / kStep][4], const float* keys,
                                   int lane) {
    const float* lane_keys = keys + (lane >> 2) * kLd + (lane & 3);
#pragma unroll
    for (int s = 0; s < kD / kStep; ++s) {
#pragma unroll
      for (int n = 0; n < kKeyTiles; ++n) {
        const float* key = lane_keys + n * 8 * kLd + s * 8;
        Mma(score[n], query[s], Tf32(key[0]), Tf32(key[4]));
      }
    }
  }

  // O += P V with step s = key tile s, its keys in the order 0, 2, 4, 6, 1, 3, 5, 7 (see the top).
  template <int kD, int kLd>
  __device__ static void AddWeightedValues(float (&acc)[kD / 8][4], const Scores& weight, const float* values,
                                           int lane) {
    const float* lane_values = values + 2 * (lane & 3) * kLd + (lane >> 2);
#pragma unroll
    for (int s = 0; s < kKeyTiles; ++s) {
      const uint32_t a[4] = {Tf32(weight[s][0]), Tf32(weight[s][2]), Tf32(weight[s][1]), Tf32(weight[s][3])};
#pragma unroll
      for (int d = 0; d < kD / 8; ++d) {
        const float* value = lane_values + s * 8 * kLd + d * 8;
        Mma(acc[d], a, Tf32(value[0]), Tf32(value[kLd]));
      }
    }
  }

  __device__ static float FromFloat(float x) {
    return x;
  }
};

template <typename T, int kD>
struct MmaLayout {
  static constexpr int kLd = kD + MmaOperands<T>::kPad;  // elements between shared rows
  static constexpr size_t kTileBytes = size_t{kRows} * kLd * sizeof(T);
  static constexpr size_t kBytes = 3 * kTileBytes;  // Q, K, V
};

template <typename T, int kD, bool kVector>
__global__ void __launch_bounds__(kThreads)
    AttentionMmaKernel(const T* q, const T* k, const T* v, T* out, AttentionParams p) {
  using Operands = MmaOperands<T>;
  using L = MmaLayout<T, kD>;
  extern __shared__ __align__(128) unsigned char shared[];
  T* q_tile = reinterpret_cast<T*>(shared);
  T* k_tile = reinterpret_cast<T*>(shared + L::kTileBytes);
  T* v_tile = reinterpret_cast<T*>(shared + 2 * L::kTileBytes);
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2;  // the fragment row (and row + 8) this lane holds
  const int t = lane & 3;   // its column pair: 2t, 2t + 1

  const auto work = BlockWork<kRows, T>::Of(p, k, v);
  const int64_t group = work.group;
  const int64_t i0 = work.first_query;
  LoadTileRows<T, kD, L::kLd, kRows, kThreads, kVector>(q_tile, q + p.q.offset + p.q.GroupOffset(group),
                                                        p.q.seq_stride, i0, p.seq_q, p.head_dim);
  __syncthreads();
  uint32_t query[kD / Operands::kStep][4];
  Operands::template LoadQuery<kD, L::kLd>(query, q_tile + warp * 16 * L::kLd, lane);

  float acc[kD / 8][4] = {};  // output tiles of 8 columns
  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.0f, 0.0f};  // this lane's share; reduced over the quad at the end
  const int64_t row[2] = {i0 + warp * 16 + g, i0 + warp * 16 + g + 8};
  int64_t end = p.seq_kv;
  if (p.causal_skip) end = min(end, min(i0 + kRows, p.seq_q) + p.causal_shift);
  for (int64_t n0 = 0; n0 < end; n0 += kKeys) {
    __syncthreads();  // the previous tiles are no longer read
    LoadTileRows<T, kD, L::kLd, kKeys, kThreads, kVector>(k_tile, work.keys, p.k.seq_stride, n0, p.seq_kv,
                                                          p.head_dim);
    LoadTileRows<T, kD, L::kLd, kKeys, kThreads, kVector>(v_tile, work.values, p.v.seq_stride, n0, p.seq_kv,
                                                          p.value_dim);
    __syncthreads();

    Scores score = {};
    Operands::template AddScores<kD, L::kLd>(score, query, k_tile, lane);

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
    for (int d = 0; d < kD / 8; ++d) {
      acc[d][0] *= rescale[0];
      acc[d][1] *= rescale[0];
      acc[d][2] *= rescale[1];
      acc[d][3] *= rescale[1];
    }
    Operands::template AddWeightedValues<kD, L::kLd>(acc, score, v_tile, lane);
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
    row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
  }
  T* out_group = out + p.out.offset + p.out.GroupOffset(group);
#pragma unroll
  for (int d = 0; d < kD / 8; ++d) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const int c = d * 8 + 2 * t + (e & 1);
      if (row[r] < p.seq_q && c < p.value_dim) {
        out_group[row[r] * p.out.seq_stride + c] = Operands::FromFloat(acc[d][e] / row_sum[r]);
      }
    }
  }
}

template <typename T, int kD, bool kVector>
Status Prepare() {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(AttentionMmaKernel<T, kD, kVector>,
                                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(MmaLayout<T, kD>::kBytes)));
  return Status::Ok();
}

template <typename T, int kD, bool kVector>
Status Launch(const AttentionParams& p, const void* q, const void* k, const void* v, void* out,
              cudaStream_t stream) {
  const int64_t blocks = p.groups * ((p.seq_q + kRows - 1) / kRows);
  AttentionMmaKernel<T, kD, kVector>
      <<<static_cast<unsigned>(blocks), kThreads, MmaLayout<T, kD>::kBytes, stream>>>(
          static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), static_cast<T*>(out),
          p);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace

Status PrepareAttentionMma(DataType dtype, const AttentionParams& params, bool vector_loads) {
  return VisitAttentionTiles(dtype, params.head_dim, vector_loads,
                             [&]<typename T, int kD, bool kVector>() { return Prepare<T, kD, kVector>(); });
}

Status LaunchAttentionMma(DataType dtype, const AttentionParams& params, bool vector_loads, const void* q,
                          const void* k, const void* v, void* out, cudaStream_t stream) {
  return VisitAttentionTiles(dtype, params.head_dim, vector_loads, [&]<typename T, int kD, bool kVector>() {
    return Launch<T, kD, kVector>(params, q, k, v, out, stream);
  });
}

}  // namespace missile::ops::cuda
