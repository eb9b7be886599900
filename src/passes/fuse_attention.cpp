// MatMul(Q, K^T) -> [scale] -> [Where(mask, fill)] -> Softmax(last axis) -> MatMul(., V): one FusedAttention
// node (ops/attention_geometry.h), which reads Q, K and V straight through the head-split nodes in front of
// them and writes its result through the head-merge nodes after it:
//   * in front of each operand, a chain of Transpose, Reshape-like views, Slice (step 1), Gather of one
//   constant
//     index (torch 2's packed projection: q, k, v = proj[0], proj[1], proj[2]) and, for Q and K, a Div or Mul
//     by a scalar constant (ViT scales Q; BERT and GPT-2 scale the scores) is absorbed while every value in
//     it is read only by the attention's own chains (Q, K and V may share a prefix) and the chain stays
//     expressible as strides (ops/strided_view.h);
//   * after the second product, Transposes and Reshape-like views read by the chain alone are absorbed.
// Nothing is absorbed that anything else reads, so the rewrite never duplicates work. GPT-2's causal mask,
// Where(masked, fill, scores) with a constant mask and fill, becomes the node's mask input.
#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "ops/activation.h"
#include "ops/attention_geometry.h"
#include "ops/op_schema.h"
#include "ops/slice_geometry.h"
#include "ops/strided_view.h"
#include "ops/tensor_geometry.h"
#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

using ops::StridedView;
using ops::SubDim;

// An operand of the attention as the fused node will read it.
struct Operand {
  graph::ValueId buffer = graph::kNoValue;
  StridedView view;  // the operand's logical shape, over `buffer`
  float scale = 1.0f;
  std::vector<graph::NodeId> absorbed;
};

class AttentionMatcher {
 public:
  explicit AttentionMatcher(graph::Graph& graph) : graph_(graph), consumers_(graph) {}

  // Tries the pattern around the Softmax node `softmax_id`; on success rewrites the graph's nodes in place
  // and marks the absorbed ones in `removed`.
  void TryAt(graph::NodeId softmax_id, std::vector<bool>& removed);

 private:
  const graph::Node& node(graph::NodeId id) const { return graph_.nodes()[static_cast<size_t>(id)]; }
  const Shape& shape(graph::ValueId v) const { return graph_.value(v).spec->shape; }
  // The node reading `value` when it is the only reader (and `value` is no graph output), else -1.
  graph::NodeId SoleReader(graph::ValueId value) const { return consumers_.Sole(value); }

  std::optional<float> ScalarConstant(graph::ValueId value) const {
    if (!IsConstant(graph_, value)) return std::nullopt;
    const Tensor& t = *graph_.value(value).constant;
    if (t.dtype() != DataType::kFloat32 || t.num_elements() != 1) return std::nullopt;
    const float v = t.data<float>()[0];
    if (!std::isfinite(v) || v == 0.0f) return std::nullopt;
    return v;
  }

  // A Div by or Mul with a scalar constant: the factor it applies and its other operand.
  std::optional<std::pair<float, graph::ValueId>> ScalarScale(const graph::Node& n) const {
    if (n.inputs.size() != 2) return std::nullopt;
    if (n.op_type == "Div") {
      if (auto c = ScalarConstant(n.inputs[1])) return std::pair{1.0f / *c, n.inputs[0]};
    } else if (n.op_type == "Mul") {
      if (auto c = ScalarConstant(n.inputs[1])) return std::pair{*c, n.inputs[0]};
      if (auto c = ScalarConstant(n.inputs[0])) return std::pair{*c, n.inputs[1]};
    }
    return std::nullopt;
  }

  // A Gather of one constant index: the (axis, index) it reads, which makes it a slice of one.
  std::optional<std::pair<size_t, int64_t>> GatheredIndex(const graph::Node& n) const {
    if (n.op_type != "Gather" || n.inputs.size() != 2 || !IsConstant(graph_, n.inputs[1]))
      return std::nullopt;
    const Tensor& indices = *graph_.value(n.inputs[1]).constant;
    if (indices.num_elements() != 1) return std::nullopt;
    auto values = indices.ToInt64Vector();
    if (!values.ok()) return std::nullopt;
    const Shape& data = shape(n.inputs[0]);
    int64_t axis = n.attributes.Int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(data.size());
    if (axis < 0 || axis >= static_cast<int64_t>(data.size())) return std::nullopt;
    int64_t index = (*values)[0];
    if (index < 0) index += data[static_cast<size_t>(axis)];
    if (index < 0 || index >= data[static_cast<size_t>(axis)]) return std::nullopt;
    return std::pair{static_cast<size_t>(axis), index};
  }

  bool IsView(const graph::Node& n) const {
    const ops::OpSchema* schema = ops::FindSchema(n.op_type);
    return schema != nullptr && schema->is_view && n.outputs.size() == 1;
  }

  // The view of a chain node's output, given the view of its input; none when it is not expressible.
  std::optional<StridedView> Forward(const graph::Node& n, const StridedView& in) const;
  // The operand `value` of a product, traced back through view-like nodes.
  std::vector<graph::NodeId> Chain(graph::ValueId value, bool allow_scale) const;
  // The operand read through `chain` (nearest the product first, as Chain returns it); where a node cannot be
  // expressed as strides, the buffer moves past it and the nodes from there on stay kernels.
  std::optional<Operand> Trace(graph::ValueId value, std::vector<graph::NodeId> chain) const;
  // The product's result `value` traced forward: the buffer it lands in and its view there.
  std::optional<Operand> TraceOutput(graph::ValueId value) const;
  // The mask [seq_q, seq_kv] (true: replaced by fill) of a Where around the scores, or none.
  std::optional<Tensor> MaskOf(const graph::Node& where, graph::ValueId scores, int64_t seq_q, int64_t seq_kv,
                               float* fill) const;

  graph::Graph& graph_;
  const Consumers consumers_;
};

std::optional<StridedView> AttentionMatcher::Forward(const graph::Node& n, const StridedView& in) const {
  Result<StridedView> out = Error(ErrorCode::kUnimplemented, "");
  if (n.op_type == "Transpose") {
    auto geometry = ops::TransposeGeometry::From(ops::NodeContext(graph_, n));
    if (!geometry.ok()) return std::nullopt;
    out = in.Permuted(geometry->perm);
  } else if (n.op_type == "Slice") {
    auto geometry = ops::SliceGeometry::From(ops::NodeContext(graph_, n));
    if (!geometry.ok()) return std::nullopt;
    StridedView view = in;
    for (size_t d = 0; d < geometry->output.size(); ++d) {
      if (geometry->output[d] == view.size(d)) continue;
      if (geometry->step[d] != 1) return std::nullopt;
      auto sliced = view.Sliced(d, geometry->start[d], geometry->output[d]);
      if (!sliced.ok()) return std::nullopt;
      view = std::move(sliced).value();
    }
    return view;
  } else if (n.op_type == "Gather") {
    const auto index = GatheredIndex(n);
    if (!index) return std::nullopt;
    auto sliced = in.Sliced(index->first, index->second, 1);
    if (!sliced.ok()) return std::nullopt;
    out = sliced->Reshaped(shape(n.outputs[0]));
  } else if (IsView(n)) {
    out = in.Reshaped(shape(n.outputs[0]));
  } else if (ScalarScale(n)) {
    return in;
  }
  if (!out.ok()) return std::nullopt;
  return std::move(out).value();
}

std::vector<graph::NodeId> AttentionMatcher::Chain(graph::ValueId value, bool allow_scale) const {
  // Back from the product through chainable nodes; TryAt then cuts the chain where a value in it has a reader
  // outside the attention.
  std::vector<graph::NodeId> chain;  // nearest the product first
  graph::ValueId current = value;
  while (!consumers_.IsOutput(current) && graph_.value(current).producer >= 0) {
    const graph::NodeId p = graph_.value(current).producer;
    const graph::Node& n = node(p);
    graph::ValueId next = graph::kNoValue;
    if (n.op_type == "Transpose" || n.op_type == "Slice" || IsView(n) || GatheredIndex(n)) {
      next = n.inputs.empty() ? graph::kNoValue : n.inputs[0];
    } else if (auto scale = ScalarScale(n); scale && allow_scale) {
      next = scale->second;
    }
    if (next == graph::kNoValue || IsConstant(graph_, next)) break;
    chain.push_back(p);
    current = next;
  }
  return chain;
}

std::optional<Operand> AttentionMatcher::Trace(graph::ValueId value, std::vector<graph::NodeId> chain) const {
  graph::ValueId current = chain.empty() ? value : node(chain.back()).inputs[0];
  if (!chain.empty()) {
    if (auto scale = ScalarScale(node(chain.back())); scale && node(chain.back()).op_type == "Mul") {
      current = scale->second;
    }
  }
  // Forward from the buffer; where a node cannot be expressed, the buffer moves past it (it stays a kernel).
  while (true) {
    Operand operand;
    operand.buffer = current;
    auto start = StridedView::Contiguous(shape(current));
    if (!start.ok()) return std::nullopt;
    operand.view = std::move(start).value();
    size_t failed = chain.size();
    for (size_t i = chain.size(); i-- > 0;) {
      const graph::Node& n = node(chain[i]);
      auto next = Forward(n, operand.view);
      if (!next) {
        failed = i;
        break;
      }
      operand.view = std::move(next).value();
      if (auto scale = ScalarScale(n)) operand.scale *= scale->first;
      operand.absorbed.push_back(chain[i]);
    }
    if (failed == chain.size()) return operand;
    current = node(chain[failed]).outputs[0];
    chain.resize(failed);
  }
}

std::optional<Operand> AttentionMatcher::TraceOutput(graph::ValueId value) const {
  std::vector<graph::NodeId> chain;
  graph::ValueId current = value;
  for (graph::NodeId r = SoleReader(current); r >= 0; r = SoleReader(current)) {
    const graph::Node& n = node(r);
    if (n.op_type != "Transpose" && !IsView(n)) break;
    chain.push_back(r);
    current = n.outputs[0];
  }
  // Back from the last buffer: each node's input seen through its output's view.
  while (true) {
    auto start = StridedView::Contiguous(shape(current));
    if (!start.ok()) return std::nullopt;
    Operand operand;
    operand.buffer = current;
    operand.view = std::move(start).value();
    bool ok = true;
    for (size_t i = chain.size(); i-- > 0 && ok;) {
      const graph::Node& n = node(chain[i]);
      Result<StridedView> in = Error(ErrorCode::kUnimplemented, "");
      if (n.op_type == "Transpose") {
        auto geometry = ops::TransposeGeometry::From(ops::NodeContext(graph_, n));
        if (geometry.ok()) {
          std::vector<int64_t> inverse(geometry->perm.size());
          for (size_t d = 0; d < inverse.size(); ++d)
            inverse[static_cast<size_t>(geometry->perm[d])] = static_cast<int64_t>(d);
          in = operand.view.Permuted(inverse);
        }
      } else {
        in = operand.view.Reshaped(shape(n.inputs[0]));
      }
      if (!in.ok()) {
        ok = false;
        break;
      }
      operand.view = std::move(in).value();
      operand.absorbed.push_back(chain[i]);
    }
    if (ok) return operand;
    if (chain.empty()) return std::nullopt;
    chain.pop_back();
    current = chain.empty() ? value : node(chain.back()).outputs[0];
  }
}

std::optional<Tensor> AttentionMatcher::MaskOf(const graph::Node& where, graph::ValueId scores, int64_t seq_q,
                                               int64_t seq_kv, float* fill) const {
  if (where.op_type != "Where" || where.inputs.size() != 3 || !IsConstant(graph_, where.inputs[0]))
    return std::nullopt;
  const bool fill_when_true = where.inputs[2] == scores;  // Where(mask, fill, scores)
  if (!fill_when_true && where.inputs[1] != scores) return std::nullopt;
  const graph::ValueId fill_value = where.inputs[fill_when_true ? 1 : 2];
  if (!IsConstant(graph_, fill_value)) return std::nullopt;
  const Tensor& f = *graph_.value(fill_value).constant;
  if (f.dtype() != DataType::kFloat32 || f.num_elements() != 1) return std::nullopt;
  *fill = f.data<float>()[0];
  const Tensor& condition = *graph_.value(where.inputs[0]).constant;
  const Shape& c = condition.shape();
  if (condition.dtype() != DataType::kBool || c.size() < 2) return std::nullopt;
  for (size_t d = 0; d + 2 < c.size(); ++d) {
    if (c[d] != 1) return std::nullopt;  // one mask for every batch and head
  }
  const int64_t rows = c[c.size() - 2], cols = c.back();
  if ((rows != 1 && rows != seq_q) || (cols != 1 && cols != seq_kv)) return std::nullopt;
  Tensor mask(DataType::kBool, {seq_q, seq_kv});
  for (int64_t i = 0; i < seq_q; ++i) {
    for (int64_t j = 0; j < seq_kv; ++j) {
      const bool cond = condition.data<bool>()[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
      mask.data<bool>()[i * seq_kv + j] = fill_when_true ? cond : !cond;
    }
  }
  return mask;
}

// The group, sequence and feature strides of an operand whose view is [batch..., seq, feature], with its
// batch dims broadcast to `batch`; none unless the feature dim is contiguous and the sequence one stride.
std::optional<ops::AttentionOperand> ToAttentionOperand(const Operand& operand, const Shape& batch,
                                                        bool allow_broadcast) {
  const StridedView& view = operand.view;
  const size_t rank = view.rank();
  if (rank < 2 || rank - 2 > batch.size()) return std::nullopt;
  std::vector<SubDim> groups;
  const size_t missing = batch.size() - (rank - 2);
  for (size_t d = 0; d < batch.size(); ++d) {
    const int64_t have = d < missing ? 1 : view.size(d - missing);
    if (have == batch[d]) {
      if (d >= missing) {
        const auto& parts = view.sub_dims(d - missing);
        groups.insert(groups.end(), parts.begin(), parts.end());
      }
    } else if (have == 1 && allow_broadcast) {
      groups.push_back({batch[d], 0});
    } else {
      return std::nullopt;
    }
  }
  // Merge neighbours that step as one, then check the kernel's limit.
  std::vector<SubDim> merged;
  for (const SubDim& part : groups) {
    if (part.size == 1) continue;
    if (!merged.empty() && merged.back().stride == part.size * part.stride) {
      merged.back() = {merged.back().size * part.size, part.stride};
    } else {
      merged.push_back(part);
    }
  }
  if (merged.size() > static_cast<size_t>(ops::kMaxAttentionGroupDims)) return std::nullopt;
  const auto& seq = view.sub_dims(rank - 2);
  const auto& feature = view.sub_dims(rank - 1);
  if (seq.size() > 1 || feature.size() > 1 || (feature.size() == 1 && feature[0].stride != 1))
    return std::nullopt;
  ops::AttentionOperand result;
  result.offset = view.offset();
  result.seq_stride = seq.empty() ? 0 : seq[0].stride;
  result.group_dims = static_cast<int>(merged.size());
  for (size_t d = 0; d < merged.size(); ++d) {
    result.group_sizes[d] = merged[d].size;
    result.group_strides[d] = merged[d].stride;
  }
  return result;
}

void AttentionMatcher::TryAt(graph::NodeId softmax_id, std::vector<bool>& removed) {
  const graph::Node& softmax = node(softmax_id);
  const Shape scores_shape = shape(softmax.outputs[0]);
  const int64_t rank = static_cast<int64_t>(scores_shape.size());
  const int64_t default_axis = graph_.opset() >= 13 ? -1 : 1;
  int64_t axis = softmax.attributes.Int("axis", default_axis);
  if (axis < 0) axis += rank;
  if (rank < 2 || axis != rank - 1) return;
  if (graph_.value(softmax.outputs[0]).spec->dtype != DataType::kFloat32) return;

  // Back from the Softmax: [Where] <- [scale] <- MatMul(Q, K^T), each read only by the next.
  std::vector<graph::NodeId> absorbed{softmax_id};
  graph::ValueId current = softmax.inputs[0];
  float scale = 1.0f;
  std::optional<Tensor> mask;
  float fill = 0.0f;
  bool scaled = false;  // a scale seen nearer the Softmax than a Where would scale the fill too
  graph::NodeId first = -1;
  while (SoleReader(current) >= 0 && graph_.value(current).producer >= 0) {
    const graph::NodeId p = graph_.value(current).producer;
    const graph::Node& n = node(p);
    if (n.op_type == "MatMul") {
      if (n.inputs.size() != 2 || n.attributes.Has(ops::kFusedActivationAttr)) return;
      first = p;
      break;
    }
    if (n.op_type == "Where" && !mask && !scaled) {
      const graph::ValueId scores = n.inputs[1] == n.inputs[2]        ? graph::kNoValue
                                    : IsConstant(graph_, n.inputs[1]) ? n.inputs[2]
                                                                      : n.inputs[1];
      if (scores == graph::kNoValue) return;
      mask = MaskOf(n, scores, scores_shape[static_cast<size_t>(rank - 2)], scores_shape.back(), &fill);
      if (!mask) return;
      absorbed.push_back(p);
      current = scores;
      continue;
    }
    const auto factor = ScalarScale(n);
    if (!factor) return;
    scale *= factor->first;
    scaled = true;
    absorbed.push_back(p);
    current = factor->second;
  }
  if (first < 0) return;
  absorbed.push_back(first);
  const graph::NodeId second_id = SoleReader(softmax.outputs[0]);
  if (second_id < 0) return;
  const graph::Node& second = node(second_id);
  if (second.op_type != "MatMul" || second.inputs.size() != 2 || second.inputs[0] != softmax.outputs[0] ||
      second.attributes.Has(ops::kFusedActivationAttr)) {
    return;
  }
  absorbed.push_back(second_id);

  const graph::Node& first_node = node(first);
  const Shape q_shape = shape(first_node.inputs[0]);
  const Shape kt_shape = shape(first_node.inputs[1]);
  const Shape v_shape = shape(second.inputs[1]);
  const Shape out_shape = shape(second.outputs[0]);
  if (q_shape.size() < 2 || kt_shape.size() < 2 || v_shape.size() < 2 ||
      out_shape.size() != scores_shape.size())
    return;
  const int64_t seq_q = q_shape[q_shape.size() - 2];
  const int64_t head_dim = q_shape.back();
  const int64_t seq_kv = kt_shape.back();
  const int64_t value_dim = v_shape.back();
  if (head_dim > ops::kMaxAttentionHeadDim || value_dim > ops::kMaxAttentionHeadDim) return;
  const Shape batch(scores_shape.begin(), scores_shape.end() - 2);
  if (Shape(out_shape.begin(), out_shape.end() - 2) != batch) return;  // V must not widen the batch

  auto out = TraceOutput(second.outputs[0]);
  if (!out) return;
  // The operand chains, cut where a value in them has a reader outside the attention, until no cut leaves
  // another value read from outside (Q, K and V may share a prefix: torch 2's packed projection).
  std::vector<graph::NodeId> chains[3] = {Chain(first_node.inputs[0], true),
                                          Chain(first_node.inputs[1], true), Chain(second.inputs[1], false)};
  for (bool cut = true; cut;) {
    std::set<graph::NodeId> inside(absorbed.begin(), absorbed.end());
    for (const auto& chain : chains) inside.insert(chain.begin(), chain.end());
    cut = false;
    for (auto& chain : chains) {
      for (size_t i = 0; i < chain.size() && !cut; ++i) {
        const graph::ValueId value = node(chain[i]).outputs[0];
        bool outside = consumers_.IsOutput(value);
        for (graph::NodeId reader : consumers_.Readers(value)) outside = outside || !inside.contains(reader);
        if (outside) {
          chain.resize(i);
          cut = true;
        }
      }
    }
  }
  auto q = Trace(first_node.inputs[0], chains[0]);
  auto kt = Trace(first_node.inputs[1], chains[1]);
  auto v = Trace(second.inputs[1], chains[2]);
  if (!q || !kt || !v) return;
  // K as [batch..., seq_kv, head_dim]: the last two dims of K^T swapped.
  std::vector<int64_t> swap(kt->view.rank());
  for (size_t d = 0; d < swap.size(); ++d) swap[d] = static_cast<int64_t>(d);
  std::swap(swap[swap.size() - 1], swap[swap.size() - 2]);
  Operand k = *kt;
  auto permuted = kt->view.Permuted(swap);
  if (!permuted.ok()) return;
  k.view = std::move(permuted).value();

  const auto q_operand = ToAttentionOperand(*q, batch, true);
  const auto k_operand = ToAttentionOperand(k, batch, true);
  const auto v_operand = ToAttentionOperand(*v, batch, true);
  const auto out_operand = ToAttentionOperand(*out, batch, false);
  if (!q_operand || !k_operand || !v_operand || !out_operand) return;
  for (const Operand* o : {&*q, &k, &*v, &*out})
    absorbed.insert(absorbed.end(), o->absorbed.begin(), o->absorbed.end());
  std::sort(absorbed.begin(), absorbed.end());
  absorbed.erase(std::unique(absorbed.begin(), absorbed.end()), absorbed.end());
  const std::set<graph::NodeId> fused_nodes(absorbed.begin(), absorbed.end());
  for (graph::NodeId a : absorbed) {
    if (removed[static_cast<size_t>(a)]) return;
    // Where Trace kept a shared node as a kernel for one operand, another must not absorb it.
    if (a == absorbed.back()) continue;
    for (graph::NodeId reader : consumers_.Readers(node(a).outputs[0])) {
      if (!fused_nodes.contains(reader)) return;
    }
  }
  for (const Operand* o : {&*q, &k, &*v}) {
    if (fused_nodes.contains(graph_.value(o->buffer).producer)) return;
  }

  // The last absorbed node becomes the fused one: every input it reads is ready by then.
  const graph::NodeId last = absorbed.back();
  graph::Node fused;
  fused.name = softmax.name + "/fused_attention";
  fused.op_type = "FusedAttention";
  fused.inputs = {q->buffer, k.buffer, v->buffer};
  if (mask) fused.inputs.push_back(graph_.AddConstant(fused.name + ".mask", std::move(*mask)));
  fused.outputs = {out->buffer};
  const Shape output_shape = shape(out->buffer);
  int64_t groups = 1;
  for (int64_t b : batch) groups *= b;
  fused.attributes.Set("groups", groups);
  fused.attributes.Set("seq_q", seq_q);
  fused.attributes.Set("seq_kv", seq_kv);
  fused.attributes.Set("head_dim", head_dim);
  fused.attributes.Set("value_dim", value_dim);
  fused.attributes.Set("scale", scale * q->scale * k.scale);
  if (mask) fused.attributes.Set("fill", fill);
  fused.attributes.Set(ops::kAttentionQueryAttr, q_operand->ToInts());
  fused.attributes.Set(ops::kAttentionKeyAttr, k_operand->ToInts());
  fused.attributes.Set(ops::kAttentionValueAttr, v_operand->ToInts());
  fused.attributes.Set(ops::kAttentionOutputAttr, out_operand->ToInts());
  fused.attributes.Set("output_shape", output_shape);
  for (graph::NodeId a : absorbed) removed[static_cast<size_t>(a)] = a != last;
  graph_.nodes()[static_cast<size_t>(last)] = std::move(fused);
}

}  // namespace

Status FuseAttention(graph::Graph& graph) {
  std::vector<graph::NodeId> softmaxes;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    if (graph.nodes()[n].op_type == "Softmax") softmaxes.push_back(static_cast<graph::NodeId>(n));
  }
  if (softmaxes.empty()) return Status::Ok();
  AttentionMatcher matcher(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (graph::NodeId s : softmaxes) matcher.TryAt(s, removed);
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace missile::passes
