// Schemas of Gemm, MatMul and FusedAttention (two products around a softmax). Both may carry a fused
// activation (ops/activation.h); MatMul may also carry the bias of a fused MatMul + Add (PyTorch's Linear) as
// a third input: 1-D, one value per output column, and a fused residual as a fourth: of the output's shape.
// MatMul's result is act(A x B + bias + residual).
#include "ops/attention_geometry.h"
#include "ops/op_schema.h"

namespace missile::ops {
namespace {

Status SameDtypes(const NodeContext& ctx) {
  for (size_t i = 1; i < ctx.input_count(); ++i) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != ctx.input_dtype(0)) {
      return InvalidNode("input {} must have input 0's dtype {}, got {}", i, DataTypeName(ctx.input_dtype(0)),
                         DataTypeName(ctx.input_dtype(i)));
    }
  }
  return Status::Ok();
}

Result<std::vector<TensorSpec>> GemmInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(SameDtypes(ctx));
  const Shape& a = ctx.input_shape(0);
  const Shape& b = ctx.input_shape(1);
  if (a.size() != 2 || b.size() != 2) {
    return InvalidNode("A and B must be matrices, got {} and {}", ShapeToString(a), ShapeToString(b));
  }
  const bool trans_a = ctx.attributes().Int("transA", 0) != 0;
  const bool trans_b = ctx.attributes().Int("transB", 0) != 0;
  const int64_t m = trans_a ? a[1] : a[0];
  const int64_t k = trans_a ? a[0] : a[1];
  const int64_t k_b = trans_b ? b[1] : b[0];
  const int64_t n = trans_b ? b[0] : b[1];
  if (k != k_b) {
    return InvalidNode("inner dims differ: A{} is {}x{}, B{} is {}x{}", trans_a ? "^T" : "", m, k,
                       trans_b ? "^T" : "", k_b, n);
  }
  const Shape output = {m, n};
  if (ctx.has_input(2)) {
    const Shape& c = ctx.input_shape(2);
    auto broadcast = BroadcastShapes(c, output);
    if (c.size() > 2 || !broadcast.ok() || *broadcast != output) {
      return InvalidNode("C {} does not broadcast to the output [{},{}]", ShapeToString(c), m, n);
    }
  }
  return std::vector{TensorSpec{ctx.input_dtype(0), output}};
}

// NumPy matmul: a 1-D operand is a row (A) or a column (B) whose dim is dropped from the result; the dims
// before the last two broadcast.
Result<std::vector<TensorSpec>> MatMulInfer(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(SameDtypes(ctx));
  const Shape& a = ctx.input_shape(0);
  const Shape& b = ctx.input_shape(1);
  if (a.empty() || b.empty()) {
    return InvalidNode("operands must have at least one dim, got {} and {}", ShapeToString(a),
                       ShapeToString(b));
  }
  const int64_t k = a.back();
  const int64_t k_b = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (k != k_b) {
    return InvalidNode("inner dims differ: {} x {} ({} vs {})", ShapeToString(a), ShapeToString(b), k, k_b);
  }
  const std::span<const int64_t> a_batch = std::span(a).first(a.size() - std::min<size_t>(a.size(), 2));
  const std::span<const int64_t> b_batch = std::span(b).first(b.size() - std::min<size_t>(b.size(), 2));
  auto batch = BroadcastShapes(a_batch, b_batch);
  if (!batch.ok()) {
    return InvalidNode("the batch dims of {} and {} do not broadcast", ShapeToString(a), ShapeToString(b));
  }
  Shape output = std::move(batch).value();
  if (a.size() >= 2) output.push_back(a[a.size() - 2]);
  if (b.size() >= 2) output.push_back(b.back());

  if (ctx.has_input(2)) {
    if (b.size() < 2) return InvalidNode("a fused bias needs a matrix B, got {}", ShapeToString(b));
    if (ctx.input_shape(2) != Shape{b.back()}) {
      return InvalidNode("the fused bias must be [N] = [{}], got {}", b.back(),
                         ShapeToString(ctx.input_shape(2)));
    }
  }
  if (ctx.has_input(3) && ctx.input_shape(3) != output) {
    return InvalidNode("the fused residual must have the output's shape {}, got {}", ShapeToString(output),
                       ShapeToString(ctx.input_shape(3)));
  }
  return std::vector{TensorSpec{ctx.input_dtype(0), output}};
}

constexpr OpSchema kSchemas[] = {
    OpSchema{.op_type = "Gemm", .min_inputs = 2, .max_inputs = 3, .infer = GemmInfer},
    OpSchema{.op_type = "MatMul", .min_inputs = 2, .max_inputs = 4, .infer = MatMulInfer},
    // Made by passes/fuse_attention only: ops/attention_geometry.h.
    OpSchema{.op_type = "FusedAttention",
             .min_inputs = 3,
             .max_inputs = 4,
             .infer = InferFromGeometry<AttentionGeometry>},
};

}  // namespace

std::span<const OpSchema> MatMulSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
