// FusedAttention on the CPU (ops/attention_geometry.h): one query row at a time, scores in float, the softmax
// with its row maximum subtracted, then the weighted sum of V. Groups and rows are spread over the cores.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "ops/attention_geometry.h"
#include "ops/cpu/cpu_kernels.h"

namespace missile::ops::cpu {
namespace {

class AttentionKernel final : public Kernel {
 public:
  explicit AttentionKernel(AttentionGeometry geometry) : g_(std::move(geometry)) {}

  Status Run(const KernelArgs& args) const override {
    const auto* q = static_cast<const float*>(args.inputs[0]);
    const auto* k = static_cast<const float*>(args.inputs[1]);
    const auto* v = static_cast<const float*>(args.inputs[2]);
    const bool* mask = g_.has_mask ? static_cast<const bool*>(args.inputs[3]) : nullptr;
    auto* out = static_cast<float*>(args.outputs[0]);
    const int64_t rows = g_.groups * g_.seq_q;
    const int64_t work_per_row = g_.seq_kv * (g_.head_dim + g_.value_dim);
    ParallelFor(rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(work_per_row, 1)),
                [&](int64_t begin, int64_t end) {
                  std::vector<float> scores(static_cast<size_t>(g_.seq_kv));
                  for (int64_t row = begin; row < end; ++row)
                    Row(row / g_.seq_q, row % g_.seq_q, q, k, v, mask, out, scores);
                });
    return Status::Ok();
  }

 private:
  void Row(int64_t group, int64_t i, const float* q, const float* k, const float* v, const bool* mask,
           float* out, std::vector<float>& scores) const {
    const float* q_row = q + g_.q.offset + g_.q.GroupOffset(group) + i * g_.q.seq_stride;
    const float* k_group = k + g_.k.offset + g_.k.GroupOffset(group);
    const float* v_group = v + g_.v.offset + g_.v.GroupOffset(group);
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < g_.seq_kv; ++j) {
      float s;
      if (mask != nullptr && mask[i * g_.seq_kv + j]) {
        s = g_.fill;
      } else {
        const float* k_row = k_group + j * g_.k.seq_stride;
        float dot = 0.0f;
        for (int64_t d = 0; d < g_.head_dim; ++d) dot += q_row[d] * k_row[d];
        s = g_.scale * dot;
      }
      scores[static_cast<size_t>(j)] = s;
      max = std::max(max, s);
    }
    float sum = 0.0f;
    for (float& s : scores) {
      s = std::exp(s - max);
      sum += s;
    }
    float* o = out + g_.out.offset + g_.out.GroupOffset(group) + i * g_.out.seq_stride;
    std::fill(o, o + g_.value_dim, 0.0f);
    for (int64_t j = 0; j < g_.seq_kv; ++j) {
      const float p = scores[static_cast<size_t>(j)] / sum;
      const float* v_row = v_group + j * g_.v.seq_stride;
      for (int64_t d = 0; d < g_.value_dim; ++d) o[d] += p * v_row[d];
    }
  }

  AttentionGeometry g_;
};

KernelResult CreateAttention(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "the CPU backend computes FusedAttention in float32 only, got {}",
                 DataTypeName(ctx.input_dtype(0)));
  }
  MISSILE_ASSIGN_OR_RETURN(AttentionGeometry geometry, AttentionGeometry::From(ctx));
  return MakeKernel<AttentionKernel>(std::move(geometry));
}

const KernelEntry kKernels[] = {{"FusedAttention", CreateAttention}};

}  // namespace

std::span<const KernelEntry> AttentionKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
