// FusedAttention, the operator passes/fuse_attention makes of a transformer's attention block:
//
//   out[g, i, :] = sum_j softmax_j(s[g, i, j]) * V[g, j, :],  s[g, i, j] = scale * Q[g, i, :] . K[g, j, :]
//   (s = fill where the optional mask input is true)
//
// for every group g (a batch and head pair, flattened), query i and key j. Q, K, V and the output are not
// separate tensors: each is read (or written) through an AttentionOperand straight out of a buffer, so the
// head split (Reshape, Transpose, Slice) before the attention and the head merge after it cost no copies.
//
// Inputs: the buffers of Q, K, V (float32 or float16, one dtype), then optionally a bool mask [seq_q, seq_kv]
// (true: the score is replaced by `fill`, as ONNX Where(mask, fill, scores) does before the Softmax).
// Attributes: groups, seq_q, seq_kv, head_dim, value_dim, scale, fill, the four operands as int lists
// (AttentionOperand::ToInts) and output_shape, the shape of the output buffer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/node_context.h"
#include "ops/strided_index.h"

namespace missile::ops {

inline constexpr int kMaxAttentionGroupDims = 4;
// The widest head the fused form takes (the kernels keep a row of Q and of the output in registers).
inline constexpr int64_t kMaxAttentionHeadDim = 256;

// Where element (g, s, d) of one operand lives: offset + GroupOffset(g) + s * seq_stride + d (the feature
// dim is contiguous). The group index splits into sub-dims, outermost first, each with its own stride
// (0 where a head or batch is shared).
struct AttentionOperand {
  int64_t offset = 0;
  int64_t seq_stride = 0;
  int group_dims = 0;
  int64_t group_sizes[kMaxAttentionGroupDims] = {};
  int64_t group_strides[kMaxAttentionGroupDims] = {};

  MISSILE_HOST_DEVICE int64_t GroupOffset(int64_t g) const {
    int64_t result = 0;
    for (int d = group_dims - 1; d >= 0; --d) {
      result += (g % group_sizes[d]) * group_strides[d];
      g /= group_sizes[d];
    }
    return result;
  }

  // [offset, seq_stride, group_dims, size0, stride0, size1, stride1, ...]: the node attribute's form.
  std::vector<int64_t> ToInts() const;
  static Result<AttentionOperand> FromInts(const std::vector<int64_t>& ints);
};

struct AttentionGeometry {
  int64_t groups = 0;
  int64_t seq_q = 0;
  int64_t seq_kv = 0;
  int64_t head_dim = 0;   // of Q and K
  int64_t value_dim = 0;  // of V and the output
  float scale = 1.0f;
  bool has_mask = false;
  float fill = 0.0f;
  AttentionOperand q, k, v, out;
  Shape output;  // the output buffer's shape

  // Reads and checks the node: every operand stays inside its buffer and the output covers its buffer.
  static Result<AttentionGeometry> From(const NodeContext& ctx);
};

// The node attribute names.
inline constexpr const char* kAttentionQueryAttr = "q_view";
inline constexpr const char* kAttentionKeyAttr = "k_view";
inline constexpr const char* kAttentionValueAttr = "v_view";
inline constexpr const char* kAttentionOutputAttr = "out_view";

// Whether mask [seq_q, seq_kv] (row-major, true = masked) is exactly the causal mask: key j is masked for
// query i iff j > i + (seq_kv - seq_q). Kernels then skip key blocks no query of theirs can see.
bool IsCausalMask(const bool* mask, int64_t seq_q, int64_t seq_kv);

}  // namespace missile::ops
