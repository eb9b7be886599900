// FusedAttention on tensor cores (attention_launch.h), the flash-attention scheme with WMMA:
//
// A block of 4 warps takes 64 query rows of one group; each warp owns 16 of them and keeps their Q
// fragments in registers. The block walks the keys in tiles of 64, staged in shared memory with V. Per tile
// each warp computes its 16 x 64 scores (S = Q K^T, fp32 accumulators) into shared memory, updates its rows'
// running maximum and sum (half a warp per row), writes the weights P = exp(S - max) as the products' input
// type, rescales its 16 x D output strip and adds P V on tensor cores. The output strip stays in shared
// memory in float until the last tile, then is divided by the sums and written through the output's view.
//
// fp16 data multiplies in fp16 (16x16x16); fp32 data in TF32 (16x16x8), as cuBLAS does with TF32 allowed.
// Heads narrower than the instantiated width (32, 64, 128) are zero-padded in shared memory.
#include <mma.h>

#include <cmath>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/attention_launch.h"
#include "ops/cuda/attention_tile_load.cuh"
#include "ops/cuda/device_types.cuh"

namespace missile::ops::cuda {
namespace {

using namespace nvcuda;

constexpr int kWarps = 4;
constexpr int kRows = 16 * kWarps;  // query rows per block
constexpr int kKeys = 64;           // keys per tile
constexpr int kThreads = 32 * kWarps;

template <typename T>
struct Mma;
template <>
struct Mma<__half> {
  static constexpr int kK = 16;
  using Precision = __half;
  static constexpr int kPad = 8;  // elements of row padding: keeps 16-byte rows and spreads the banks
  __device__ static __half Convert(float x) { return __float2half_rn(x); }
  template <typename Fragment>
  __device__ static void Round(Fragment&) {}
};
template <>
struct Mma<float> {
  static constexpr int kK = 8;
  using Precision = wmma::precision::tf32;
  static constexpr int kPad = 4;
  __device__ static float Convert(float x) { return x; }
  template <typename Fragment>
  __device__ static void Round(Fragment& f) {
#pragma unroll
    for (int e = 0; e < f.num_elements; ++e) f.x[e] = wmma::__float_to_tf32(f.x[e]);
  }
};

constexpr size_t AlignUp(size_t bytes) {
  return (bytes + 127) / 128 * 128;
}

// Shared-memory layout of one block, in elements per row and bytes per region.
template <typename T, int kD>
struct Layout {
  static constexpr int kLdIn = kD + Mma<T>::kPad;  // Q, K and V rows
  static constexpr int kLdS = kKeys + 16;          // scores (float): rows 16 banks apart, see the softmax
  static constexpr int kLdP = kKeys + Mma<T>::kPad;
  static constexpr int kLdO = kD + 4;  // output strip (float)
  static constexpr size_t kTileBytes = AlignUp(size_t{kRows} * kLdIn * sizeof(T));
  static constexpr size_t kScoreBytes = AlignUp(size_t{16} * kLdS * sizeof(float));
  static constexpr size_t kWeightBytes = AlignUp(size_t{16} * kLdP * sizeof(T));
  static constexpr size_t kOutBytes = AlignUp(size_t{16} * kLdO * sizeof(float));
  static constexpr size_t kStatBytes = AlignUp(3 * 16 * sizeof(float));
  static constexpr size_t kWarpBytes = kScoreBytes + kWeightBytes + kOutBytes + kStatBytes;
  static constexpr size_t kBytes = 3 * kTileBytes + kWarps * kWarpBytes;
};

template <typename T, int kD, bool kVector>
__device__ __forceinline__ void LoadTile(T* tile, const T* group, int64_t seq_stride, int64_t row0,
                                         int64_t rows, int dim) {
  LoadTileRows<T, kD, Layout<T, kD>::kLdIn, kRows, kThreads, kVector>(tile, group, seq_stride, row0, rows,
                                                                      dim);
}

template <typename T, int kD, bool kVector>
__global__ void __launch_bounds__(kThreads)
    AttentionTilesKernel(const T* q, const T* k, const T* v, T* out, AttentionParams p) {
  using L = Layout<T, kD>;
  using M = Mma<T>;
  using FragA = wmma::fragment<wmma::matrix_a, 16, 16, M::kK, typename M::Precision, wmma::row_major>;
  using FragKt = wmma::fragment<wmma::matrix_b, 16, 16, M::kK, typename M::Precision, wmma::col_major>;
  using FragV = wmma::fragment<wmma::matrix_b, 16, 16, M::kK, typename M::Precision, wmma::row_major>;
  using FragC = wmma::fragment<wmma::accumulator, 16, 16, M::kK, float>;

  extern __shared__ __align__(128) unsigned char shared[];
  T* q_tile = reinterpret_cast<T*>(shared);
  T* k_tile = reinterpret_cast<T*>(shared + L::kTileBytes);
  T* v_tile = reinterpret_cast<T*>(shared + 2 * L::kTileBytes);
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  unsigned char* mine = shared + 3 * L::kTileBytes + warp * L::kWarpBytes;
  float* scores = reinterpret_cast<float*>(mine);
  T* weights = reinterpret_cast<T*>(mine + L::kScoreBytes);
  float* strip = reinterpret_cast<float*>(mine + L::kScoreBytes + L::kWeightBytes);
  float* row_max = reinterpret_cast<float*>(mine + L::kScoreBytes + L::kWeightBytes + L::kOutBytes);
  float* row_sum = row_max + 16;
  float* row_rescale = row_max + 32;

  const auto work = BlockWork<kRows, T>::Of(p, k, v);
  const int64_t g = work.group;
  const int64_t i0 = work.first_query;
  const T* k_group = work.keys;
  const T* v_group = work.values;

  LoadTile<T, kD, kVector>(q_tile, q + p.q.offset + p.q.GroupOffset(g), p.q.seq_stride, i0, p.seq_q,
                           p.head_dim);
  for (int e = lane; e < 16 * kD; e += 32) strip[(e / kD) * L::kLdO + e % kD] = 0.0f;
  if (lane < 16) {
    row_max[lane] = -INFINITY;
    row_sum[lane] = 0.0f;
  }
  __syncthreads();
  FragA query[kD / M::kK];
#pragma unroll
  for (int kk = 0; kk < kD / M::kK; ++kk) {
    wmma::load_matrix_sync(query[kk], q_tile + warp * 16 * L::kLdIn + kk * M::kK, L::kLdIn);
    M::Round(query[kk]);
  }

  int64_t end = p.seq_kv;
  if (p.causal_skip) end = min(end, min(i0 + kRows, p.seq_q) + p.causal_shift);
  const int half = lane >> 4;  // softmax: each half warp takes a row at a time
  const int column = lane & 15;
  for (int64_t n0 = 0; n0 < end; n0 += kKeys) {
    __syncthreads();  // the previous tile is no longer read
    LoadTile<T, kD, kVector>(k_tile, k_group, p.k.seq_stride, n0, p.seq_kv, p.head_dim);
    LoadTile<T, kD, kVector>(v_tile, v_group, p.v.seq_stride, n0, p.seq_kv, p.value_dim);
    __syncthreads();

    // S = Q K^T for this warp's 16 rows.
#pragma unroll
    for (int nt = 0; nt < kKeys / 16; ++nt) {
      FragC acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < kD / M::kK; ++kk) {
        FragKt key;
        wmma::load_matrix_sync(key, k_tile + nt * 16 * L::kLdIn + kk * M::kK, L::kLdIn);
        M::Round(key);
        wmma::mma_sync(acc, query[kk], key, acc);
      }
      wmma::store_matrix_sync(scores + nt * 16, acc, L::kLdS, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax, rows 2 * it + half. Scores past the keys are -inf (no weight); masked ones are `fill`.
#pragma unroll 1
    for (int it = 0; it < 8; ++it) {
      const int r = 2 * it + half;
      const int64_t i = i0 + warp * 16 + r;
      float s[kKeys / 16];
      float tile_max = -INFINITY;
#pragma unroll
      for (int t = 0; t < kKeys / 16; ++t) {
        const int64_t j = n0 + column + 16 * t;
        if (j >= p.seq_kv) {
          s[t] = -INFINITY;
        } else if (p.mask != nullptr && i < p.seq_q && p.mask[i * p.seq_kv + j]) {
          s[t] = p.fill;
        } else {
          s[t] = scores[r * L::kLdS + column + 16 * t] * p.scale;
        }
        tile_max = fmaxf(tile_max, s[t]);
      }
#pragma unroll
      for (int offset = 8; offset > 0; offset >>= 1) {
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
      }
      const float old_max = row_max[r];
      const float new_max = fmaxf(old_max, tile_max);
      const float shift = new_max == -INFINITY ? 0.0f : new_max;
      float tile_sum = 0.0f;
#pragma unroll
      for (int t = 0; t < kKeys / 16; ++t) {
        const float w = __expf(s[t] - shift);
        tile_sum += w;
        weights[r * L::kLdP + column + 16 * t] = M::Convert(w);
      }
#pragma unroll
      for (int offset = 8; offset > 0; offset >>= 1)
        tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, offset);
      __syncwarp();  // every lane has read old_max before it is replaced
      if (column == 0) {
        const float rescale = __expf(old_max - shift);
        row_rescale[r] = rescale;
        row_sum[r] = row_sum[r] * rescale + tile_sum;
        row_max[r] = new_max;
      }
    }
    __syncwarp();
    for (int e = lane; e < 16 * kD; e += 32) strip[(e / kD) * L::kLdO + e % kD] *= row_rescale[e / kD];
    __syncwarp();

    // O += P V
#pragma unroll
    for (int dt = 0; dt < kD / 16; ++dt) {
      FragC acc;
      wmma::load_matrix_sync(acc, strip + dt * 16, L::kLdO, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kKeys / M::kK; ++kk) {
        FragA weight;
        wmma::load_matrix_sync(weight, weights + kk * M::kK, L::kLdP);
        M::Round(weight);
        FragV value;
        wmma::load_matrix_sync(value, v_tile + kk * M::kK * L::kLdIn + dt * 16, L::kLdIn);
        M::Round(value);
        wmma::mma_sync(acc, weight, value, acc);
      }
      wmma::store_matrix_sync(strip + dt * 16, acc, L::kLdO, wmma::mem_row_major);
    }
    __syncwarp();
  }

  T* out_group = out + p.out.offset + p.out.GroupOffset(g);
  for (int e = lane; e < 16 * kD; e += 32) {
    const int r = e / kD;
    const int c = e % kD;
    const int64_t i = i0 + warp * 16 + r;
    if (i < p.seq_q && c < p.value_dim) {
      out_group[i * p.out.seq_stride + c] = FromCompute<T>(strip[r * L::kLdO + c] / row_sum[r]);
    }
  }
}

template <typename T, int kD, bool kVector>
Status Prepare() {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(AttentionTilesKernel<T, kD, kVector>,
                                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(Layout<T, kD>::kBytes)));
  return Status::Ok();
}

template <typename T, int kD, bool kVector>
Status Launch(const AttentionParams& p, const void* q, const void* k, const void* v, void* out,
              cudaStream_t stream) {
  const int64_t blocks = p.groups * ((p.seq_q + kRows - 1) / kRows);
  AttentionTilesKernel<T, kD, kVector>
      <<<static_cast<unsigned>(blocks), kThreads, Layout<T, kD>::kBytes, stream>>>(
          static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), static_cast<T*>(out),
          p);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return Status::Ok();
}

}  // namespace

bool AttentionTilesSupport(int head_dim, int value_dim) {
  return head_dim == value_dim && PaddedWidth(head_dim) != 0;
}

Status PrepareAttentionTiles(DataType dtype, int head_dim, bool vector_loads) {
  return VisitAttentionTiles(dtype, head_dim, vector_loads,
                             [&]<typename T, int kD, bool kVector>() { return Prepare<T, kD, kVector>(); });
}

Status LaunchAttentionTiles(DataType dtype, const AttentionParams& params, bool vector_loads, const void* q,
                            const void* k, const void* v, void* out, cudaStream_t stream) {
  return VisitAttentionTiles(dtype, params.head_dim, vector_loads, [&]<typename T, int kD, bool kVector>() {
    return Launch<T, kD, kVector>(params, q, k, v, out, stream);
  });
}

}  // namespace missile::ops::cuda
