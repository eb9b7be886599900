// FusedAttention's CUDA kernel: the node's geometry read once, then per launch one of attention_launch.h's
// kernels: fp16, and fp32 with TF32 allowed, on the register-resident mma kernel (heads of one width up to
// 128), and the exact one-warp-per-row kernel for fp32 without TF32 (as the op cases compare with the CPU
// backend) and any other heads. MISSILE_ATTENTION_KERNEL=wmma or rows overrides the choice where it
// applies, for comparisons on one GPU.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ops/cuda/attention_launch.h"
#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {
namespace {

// The fill below which a masked score's weight exp(fill - max) is exactly 0 for any finite max a float
// score can reach in practice: only then may a kernel skip masked keys instead of weighing them.
constexpr float kNegligibleFill = -1e30f;

enum class Variant { kRows, kTiles, kMma };

class AttentionKernel final : public Kernel {
 public:
  AttentionKernel(DataType dtype, AttentionParams params, bool has_mask, Variant variant, bool vector_loads)
      : dtype_(dtype), params_(params), has_mask_(has_mask), variant_(variant), vector_loads_(vector_loads) {}

  Status Run(const KernelArgs& args) const override {
    AttentionParams p = params_;
    if (has_mask_) p.mask = static_cast<const bool*>(args.inputs[3]);
    const cudaStream_t stream = args.launch->stream;
    const void* q = args.inputs[0];
    const void* k = args.inputs[1];
    const void* v = args.inputs[2];
    if (variant_ == Variant::kRows) return LaunchAttentionRows(dtype_, p, q, k, v, args.outputs[0], stream);
    // 16-byte loads need 16-byte aligned buffers too (arena and constants are; a view's offset was checked).
    const bool aligned = vector_loads_ && Aligned(q) && Aligned(k) && Aligned(v);
    if (variant_ == Variant::kMma)
      return LaunchAttentionMma(dtype_, p, aligned, q, k, v, args.outputs[0], stream);
    return LaunchAttentionTiles(dtype_, p, aligned, q, k, v, args.outputs[0], stream);
  }

 private:
  static bool Aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

  DataType dtype_;
  AttentionParams params_;
  bool has_mask_;
  Variant variant_;
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

// The kernel for this dtype and these heads: the fastest that applies, unless MISSILE_ATTENTION_KERNEL names
// another ("wmma": the WMMA tiles; "rows": the exact kernel throughout).
Result<Variant> ChooseVariant(DataType dtype, bool allow_tf32, const AttentionParams& p) {
  const char* env = std::getenv("MISSILE_ATTENTION_KERNEL");
  const std::string_view requested = env == nullptr ? "" : env;
  if (requested != "" && requested != "mma" && requested != "wmma" && requested != "rows") {
    return Error(ErrorCode::kInvalidArgument, "MISSILE_ATTENTION_KERNEL must be mma, wmma or rows, got '{}'",
                 requested);
  }
  const bool tensor_cores = dtype == DataType::kFloat16 || allow_tf32;
  if (requested == "rows" || !tensor_cores || !AttentionTilesSupport(p.head_dim, p.value_dim))
    return Variant::kRows;
  return requested == "wmma" ? Variant::kTiles : Variant::kMma;
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
  MISSILE_ASSIGN_OR_RETURN(const Variant variant, ChooseVariant(dtype, build.allow_tf32, p));
  bool vector_loads = false;
  if (variant != Variant::kRows) {
    const int64_t width = 16 / static_cast<int64_t>(DataTypeSize(dtype));
    vector_loads = RowsAligned(p.q, p.head_dim, width) && RowsAligned(p.k, p.head_dim, width) &&
                   RowsAligned(p.v, p.value_dim, width);
    for (bool vector : {false, true}) {
      if (vector && !vector_loads) continue;
      MISSILE_RETURN_IF_ERROR(variant == Variant::kMma ? PrepareAttentionMma(dtype, p, vector)
                                                       : PrepareAttentionTiles(dtype, p.head_dim, vector));
    }
  }
  return MakeKernel<AttentionKernel>(dtype, p, g.has_mask, variant, vector_loads);
}

constexpr KernelEntry kAttentionKernels[] = {{"FusedAttention", CreateAttention}};

}  // namespace

std::span<const KernelEntry> AttentionKernels() {
  return kAttentionKernels;
}

}  // namespace missile::ops::cuda
