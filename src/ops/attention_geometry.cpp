#include "ops/attention_geometry.h"

namespace missile::ops {
namespace {

// The largest offset an operand reaches over [groups, seq, dim], or an error when a stride is negative.
Result<int64_t> LastOffset(const AttentionOperand& operand, int64_t seq, int64_t dim, const char* name) {
  if (operand.offset < 0 || operand.seq_stride < 0) {
    return InvalidNode("FusedAttention's {} view has a negative offset or stride", name);
  }
  int64_t last = operand.offset + (seq - 1) * operand.seq_stride + (dim - 1);
  for (int d = 0; d < operand.group_dims; ++d) {
    if (operand.group_strides[d] < 0)
      return InvalidNode("FusedAttention's {} view has a negative stride", name);
    last += (operand.group_sizes[d] - 1) * operand.group_strides[d];
  }
  return last;
}

Status CheckOperand(const AttentionOperand& operand, int64_t groups, int64_t seq, int64_t dim,
                    int64_t buffer_elements, const char* name) {
  int64_t product = 1;
  for (int d = 0; d < operand.group_dims; ++d) product *= operand.group_sizes[d];
  if (product != groups) {
    return InvalidNode("FusedAttention's {} view splits {} groups into sub-dims of {} in all", name, groups,
                       product);
  }
  MISSILE_ASSIGN_OR_RETURN(int64_t last, LastOffset(operand, seq, dim, name));
  if (last >= buffer_elements) {
    return InvalidNode("FusedAttention's {} view reaches element {} of a buffer of {}", name, last,
                       buffer_elements);
  }
  return Status::Ok();
}

}  // namespace

std::vector<int64_t> AttentionOperand::ToInts() const {
  std::vector<int64_t> ints{offset, seq_stride, group_dims};
  for (int d = 0; d < group_dims; ++d) {
    ints.push_back(group_sizes[d]);
    ints.push_back(group_strides[d]);
  }
  return ints;
}

Result<AttentionOperand> AttentionOperand::FromInts(const std::vector<int64_t>& ints) {
  if (ints.size() < 3 || ints[2] < 0 || ints[2] > kMaxAttentionGroupDims ||
      ints.size() != 3 + 2 * static_cast<size_t>(ints[2])) {
    return InvalidNode(
        "a FusedAttention view must be [offset, seq_stride, n, (size, stride) x n] with n <= {}",
        kMaxAttentionGroupDims);
  }
  AttentionOperand operand;
  operand.offset = ints[0];
  operand.seq_stride = ints[1];
  operand.group_dims = static_cast<int>(ints[2]);
  for (int d = 0; d < operand.group_dims; ++d) {
    operand.group_sizes[d] = ints[3 + 2 * static_cast<size_t>(d)];
    operand.group_strides[d] = ints[4 + 2 * static_cast<size_t>(d)];
    if (operand.group_sizes[d] < 1) return InvalidNode("a FusedAttention view has a group sub-dim below 1");
  }
  return operand;
}

Result<AttentionGeometry> AttentionGeometry::From(const NodeContext& ctx) {
  const graph::Attributes& attrs = ctx.attributes();
  AttentionGeometry g;
  MISSILE_ASSIGN_OR_RETURN(g.groups, attrs.Int("groups"));
  MISSILE_ASSIGN_OR_RETURN(g.seq_q, attrs.Int("seq_q"));
  MISSILE_ASSIGN_OR_RETURN(g.seq_kv, attrs.Int("seq_kv"));
  MISSILE_ASSIGN_OR_RETURN(g.head_dim, attrs.Int("head_dim"));
  MISSILE_ASSIGN_OR_RETURN(g.value_dim, attrs.Int("value_dim"));
  MISSILE_ASSIGN_OR_RETURN(g.scale, attrs.Float("scale"));
  g.fill = attrs.Float("fill", 0.0f);
  MISSILE_ASSIGN_OR_RETURN(g.output, attrs.Ints("output_shape"));
  for (int64_t n : {g.groups, g.seq_q, g.seq_kv, g.head_dim, g.value_dim}) {
    if (n < 1) return InvalidNode("FusedAttention needs non-empty groups, sequences and heads");
  }
  if (g.head_dim > kMaxAttentionHeadDim || g.value_dim > kMaxAttentionHeadDim) {
    return InvalidNode("FusedAttention heads wider than {} are not supported", kMaxAttentionHeadDim);
  }
  const DataType dtype = ctx.input_dtype(0);
  if (dtype != DataType::kFloat32 && dtype != DataType::kFloat16) {
    return InvalidNode("FusedAttention computes on float32 or float16, got {}", DataTypeName(dtype));
  }
  for (size_t i = 1; i < 3; ++i) {
    if (ctx.input_dtype(i) != dtype) {
      return InvalidNode("FusedAttention's inputs must share one dtype, got {} and {}", DataTypeName(dtype),
                         DataTypeName(ctx.input_dtype(i)));
    }
  }
  g.has_mask = ctx.has_input(3);
  if (g.has_mask &&
      (ctx.input_dtype(3) != DataType::kBool || ctx.input_shape(3) != Shape{g.seq_q, g.seq_kv})) {
    return InvalidNode("FusedAttention's mask must be bool [{}, {}], got {} {}", g.seq_q, g.seq_kv,
                       DataTypeName(ctx.input_dtype(3)), ShapeToString(ctx.input_shape(3)));
  }
  const std::pair<const char*, AttentionOperand*> operands[] = {{kAttentionQueryAttr, &g.q},
                                                                {kAttentionKeyAttr, &g.k},
                                                                {kAttentionValueAttr, &g.v},
                                                                {kAttentionOutputAttr, &g.out}};
  for (const auto& [name, operand] : operands) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> ints, attrs.Ints(name));
    MISSILE_ASSIGN_OR_RETURN(*operand, AttentionOperand::FromInts(ints));
  }
  MISSILE_RETURN_IF_ERROR(
      CheckOperand(g.q, g.groups, g.seq_q, g.head_dim, NumElements(ctx.input_shape(0)), "Q"));
  MISSILE_RETURN_IF_ERROR(
      CheckOperand(g.k, g.groups, g.seq_kv, g.head_dim, NumElements(ctx.input_shape(1)), "K"));
  MISSILE_RETURN_IF_ERROR(
      CheckOperand(g.v, g.groups, g.seq_kv, g.value_dim, NumElements(ctx.input_shape(2)), "V"));
  const int64_t output_elements = NumElements(g.output);
  if (output_elements != g.groups * g.seq_q * g.value_dim) {
    return InvalidNode("FusedAttention writes {} elements into an output of {}",
                       g.groups * g.seq_q * g.value_dim, output_elements);
  }
  MISSILE_RETURN_IF_ERROR(CheckOperand(g.out, g.groups, g.seq_q, g.value_dim, output_elements, "output"));
  return g;
}

bool IsCausalMask(const bool* mask, int64_t seq_q, int64_t seq_kv) {
  const int64_t shift = seq_kv - seq_q;
  for (int64_t i = 0; i < seq_q; ++i) {
    for (int64_t j = 0; j < seq_kv; ++j) {
      if (mask[i * seq_kv + j] != (j > i + shift)) return false;
    }
  }
  return true;
}

}  // namespace missile::ops
