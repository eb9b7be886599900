// The GPU kernels behind FusedAttention (ops/attention_geometry.h), with a launch function each:
//  * rows (attention_rows.cu): one warp per query row, exact float arithmetic on CUDA cores, online softmax.
//    Any head widths; what fp32 without TF32 runs (tests against the CPU backend), and the fallback.
//  * tiles (attention_tiles.cu): a block of 64 query rows walks the keys in blocks of 64 with tensor cores
//    (WMMA: fp16 inputs, or TF32 for fp32 data), scores and the running output in shared memory, an online
//    softmax in float: the flash-attention scheme. Q, K and V heads of the same width, up to 128.
//  * mma (attention_mma.cu): the same scheme and heads with scores, weights and output in registers
//    (mma.sync: fp16, or TF32 for fp32 data), several times fewer instructions per tile; the default on
//    tensor cores.
#pragma once

#include <cuda_runtime.h>

#include "core/dtype.h"
#include "core/status.h"
#include "ops/attention_geometry.h"

namespace missile::ops::cuda {

struct AttentionParams {
  AttentionOperand q, k, v, out;
  int64_t groups = 0;
  int64_t seq_q = 0;
  int64_t seq_kv = 0;
  int head_dim = 0;
  int value_dim = 0;
  float scale = 1.0f;
  float fill = 0.0f;
  const bool* mask = nullptr;  // [seq_q, seq_kv] on the device; true: the score is `fill`
  // The mask is causal (key j masked for query i iff j > i + causal_shift) and its fill so low that a masked
  // score's weight is exactly 0: keys past the last visible one need not be read at all.
  bool causal_skip = false;
  int64_t causal_shift = 0;
};

Status LaunchAttentionRows(DataType dtype, const AttentionParams& params, const void* q, const void* k,
                           const void* v, void* out, cudaStream_t stream);

// Whether the tiled kernel takes these heads (same width for Q/K and V, at most 128).
bool AttentionTilesSupport(int head_dim, int value_dim);
// Once per process and variant, before the first launch: lets the kernel use more than 48 KiB of shared
// memory. `vector_loads`: every operand's offset and strides are multiples of 16 bytes.
Status PrepareAttentionTiles(DataType dtype, int head_dim, bool vector_loads);
Status LaunchAttentionTiles(DataType dtype, const AttentionParams& params, bool vector_loads, const void* q,
                            const void* k, const void* v, void* out, cudaStream_t stream);

// The same heads as the tiles (AttentionTilesSupport); fp32 data multiplies in TF32. Prepare once before
// the first launch.
Status PrepareAttentionMma(DataType dtype, const AttentionParams& params, bool vector_loads);
Status LaunchAttentionMma(DataType dtype, const AttentionParams& params, bool vector_loads, const void* q,
                          const void* k, const void* v, void* out, cudaStream_t stream);

}  // namespace missile::ops::cuda
