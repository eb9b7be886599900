// FusedAttention's CUDA kernel: the node's geometry read once, then per launch either the tensor-core tiles
// (fp16, or fp32 with TF32 allowed, heads of one width up to 128) or the exact one-warp-per-row kernel
// (fp32 without TF32, as the op cases compare with the CPU backend, and any other heads).
#include <cstdint>

#include "ops/cuda/attention_launch.h"
#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {
namespace {

// The fill below which a masked score's weight exp(fill - max) is exactly 0 for any finite max a float
// score can reach in practice: only then may a kernel skip masked keys instead of weighing them.
constexpr float kNegligibleFill = -1e30f;

class AttentionKernel final : public Kernel {
 public:
  AttentionKernel(DataType dtype, AttentionParams params, bool has_mask, bool tiles, bool vector_loads)
      : dtype_(dtype), params_(params), has_mask_(has_mask), tiles_(tiles), vector_loads_(vector_loads) {}

  Status Run(const KernelArgs& args) const override {
    AttentionParams p = params_;
    if (has_mask_) p.mask = static_cast<const bool*>(args.inputs[3]);
    const cudaStream_t stream = args.launch->stream;
    if (!tiles_)
      return LaunchAttentionRows(dtype_, p, args.inputs[0], args.inputs[1], args.inputs[2], args.outputs[0],
                                 stream);
    // 16-byte loads need 16-byte aligned buffers too (arena and constants are; a view's offset was checked).
    const bool aligned =
        vector_loads_ && Aligned(args.inputs[0]) && Aligned(args.inputs[1]) && Aligned(args.inputs[2]);
    return LaunchAttentionTiles(dtype_, p, aligned, args.inputs[0], args.inputs[1], args.inputs[2],
                                args.outputs[0], stream);
  }

 private:
  static bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

  DataType dtype_;
  AttentionParams params_;
  bool has_mask_;
  bool tiles_;
  bool vector_loads_;
};

// Whether every row of the operand starts on a multiple of `width` elements.
bool RowsAligned(const AttentionOperand& operand, int dim, int64_t width) {
  if (operand.offset % width != 0 || operand.seq_stride % width != 0 || dim % width != 0) return false;
  for (int d = 0; d < operand.group_dims; ++d) {
    if (operand.group_strides[d] % width != 0) return false;
  }
  return true;
}

KernelResult CreateAttention(const NodeContext& ctx, const BuildContext& build) {
  MISSILE_ASSIGN_OR_RETURN(AttentionGeometry g, AttentionGeometry::From(ctx));
  AttentionParams p;
  p.q = g.q;
  p.k = g.k;
  p.v = g.v;
  p.out = g.out;
  p.groups = g.groups;
  p.seq_q = g.seq_q;
  p.seq_kv = g.seq_kv;
  p.head_dim = static_cast<int>(g.head_dim);
  p.value_dim = static_cast<int>(g.value_dim);
  p.scale = g.scale;
  p.fill = g.fill;
  if (g.has_mask) {
    // Run binds the device copy; the host copy says whether the mask is causal.
    const Tensor* mask = ctx.constant_input(3);
    if (mask != nullptr && g.fill <= kNegligibleFill && IsCausalMask(mask->data<bool>(), g.seq_q, g.seq_kv)) {
      p.causal_skip = true;
      p.causal_shift = g.seq_kv - g.seq_q;
    }
  }
  const DataType dtype = ctx.input_dtype(0);
  const bool tensor_cores = dtype == DataType::kFloat16 || build.allow_tf32;
  const bool tiles = tensor_cores && AttentionTilesSupport(p.head_dim, p.value_dim);
  bool vector_loads = false;
  if (tiles) {
    const int64_t width = 16 / static_cast<int64_t>(DataTypeSize(dtype));
    vector_loads = RowsAligned(p.q, p.head_dim, width) && RowsAligned(p.k, p.head_dim, width) &&
                   RowsAligned(p.v, p.value_dim, width);
    MISSILE_RETURN_IF_ERROR(PrepareAttentionTiles(dtype, p.head_dim, false));
    if (vector_loads) MISSILE_RETURN_IF_ERROR(PrepareAttentionTiles(dtype, p.head_dim, true));
  }
  return MakeKernel<AttentionKernel>(dtype, p, g.has_mask, tiles, vector_loads);
}

constexpr KernelEntry kAttentionKernels[] = {{"FusedAttention", CreateAttention}};

}  // namespace

std::span<const KernelEntry> AttentionKernels() {
  return kAttentionKernels;
}

}  // namespace missile::ops::cuda
