// Fusions that move work into a producer's epilogue: residual add, bias add, activation.
#include "ops/activation.h"
#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

bool HasActivation(const graph::Node& node) {
  return node.attributes.Has(ops::kFusedActivationAttr);
}

// Index of each value's producing node, -1 for graph inputs and constants.
std::vector<graph::NodeId> ProducerIndex(const graph::Graph& graph) {
  std::vector<graph::NodeId> producer(graph.value_count(), -1);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (graph::ValueId out : graph.nodes()[n].outputs) {
      if (out != graph::kNoValue) producer[static_cast<size_t>(out)] = static_cast<graph::NodeId>(n);
    }
  }
  return producer;
}

bool SameSpec(const graph::Graph& graph, graph::ValueId a, graph::ValueId b) {
  const auto& sa = *graph.value(a).spec;
  const auto& sb = *graph.value(b).spec;
  return sa.dtype == sb.dtype && sa.shape == sb.shape;
}

// The activation that `node` applies, if it is one a producer's epilogue can take.
std::optional<ops::Activation> AsActivation(const graph::Graph& graph, const graph::Node& node) {
  using Kind = ops::Activation::Kind;
  if (node.op_type == "Relu") return ops::Activation{.kind = Kind::kRelu};
  if (node.op_type == "Sigmoid") return ops::Activation{.kind = Kind::kSigmoid};
  if (node.op_type == "HardSwish") return ops::Activation{.kind = Kind::kHardSwish};
  if (node.op_type == "Gelu") {
    auto gelu = ops::GeluFromAttributes(node.attributes);
    return gelu.ok() ? std::optional(*gelu) : std::nullopt;
  }
  if (node.op_type == "Clip") {
    ops::Activation clip{.kind = Kind::kClip, .min = -INFINITY, .max = INFINITY};
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == graph::kNoValue) continue;
      if (!IsConstant(graph, node.inputs[i])) return std::nullopt;
      const Tensor& bound = *graph.value(node.inputs[i]).constant;
      if (bound.dtype() != DataType::kFloat32 || bound.num_elements() != 1) return std::nullopt;
      (i == 1 ? clip.min : clip.max) = bound.data<float>()[0];
    }
    return clip;
  }
  return std::nullopt;
}

// `op` (three inputs at most, no activation yet) -> Add(other) with `other` ready before it and of its
// output's spec: the add becomes the producer's residual input (4th), applied in its epilogue before any
// activation.
Status FuseResidual(graph::Graph& graph, std::string_view op) {
  const Consumers consumers(graph);
  const std::vector<graph::NodeId> producer = ProducerIndex(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    graph::Node& node = graph.nodes()[n];
    if (node.op_type != op || node.inputs.size() > 3 || HasActivation(node)) continue;
    const graph::NodeId a = consumers.Sole(node.outputs[0]);
    if (a < 0 || removed[static_cast<size_t>(a)]) continue;
    const graph::Node& add = graph.nodes()[static_cast<size_t>(a)];
    if (add.op_type != "Add") continue;
    const graph::ValueId other = add.inputs[0] == node.outputs[0] ? add.inputs[1] : add.inputs[0];
    // The residual must be computed before the producer runs, and must not be broadcast.
    if (other == node.outputs[0] || IsConstant(graph, other)) continue;
    if (producer[static_cast<size_t>(other)] >= static_cast<graph::NodeId>(n)) continue;
    if (!SameSpec(graph, other, node.outputs[0]) || !SameSpec(graph, add.outputs[0], node.outputs[0]))
      continue;
    node.inputs.resize(3, graph::kNoValue);
    node.inputs.push_back(other);
    AbsorbConsumer(node, add, a, removed);
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace

Status FuseConvResidual(graph::Graph& graph) {
  return FuseResidual(graph, "Conv");
}

Status FuseMatMulResidual(graph::Graph& graph) {
  return FuseResidual(graph, "MatMul");
}

Status FuseMatMulBias(graph::Graph& graph) {
  const Consumers consumers(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    graph::Node& matmul = graph.nodes()[n];
    if (matmul.op_type != "MatMul" || matmul.inputs.size() != 2 || !IsConstant(graph, matmul.inputs[1]))
      continue;
    const Tensor& weight = *graph.value(matmul.inputs[1]).constant;
    if (weight.rank() != 2 || weight.dtype() != DataType::kFloat32) continue;
    const graph::NodeId a = consumers.Sole(matmul.outputs[0]);
    if (a < 0) continue;
    const graph::Node& add = graph.nodes()[static_cast<size_t>(a)];
    if (add.op_type != "Add") continue;
    const graph::ValueId bias = add.inputs[0] == matmul.outputs[0] ? add.inputs[1] : add.inputs[0];
    if (!IsConstant(graph, bias) || !SameSpec(graph, add.outputs[0], matmul.outputs[0])) continue;
    const Tensor& b = *graph.value(bias).constant;
    const int64_t columns = weight.shape()[1];
    // Only a per-column bias ([N], [1,N], [1,1,N]...) folds into the GEMM epilogue.
    if (b.dtype() != DataType::kFloat32 || b.num_elements() != columns || b.rank() == 0 ||
        b.shape().back() != columns) {
      continue;
    }
    auto flat = b.Reshaped({columns});
    matmul.inputs.push_back(graph.AddConstant(matmul.name + ".bias", std::move(flat).value()));
    AbsorbConsumer(matmul, add, a, removed);
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

Status FuseActivation(graph::Graph& graph) {
  const Consumers consumers(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    graph::Node& producer = graph.nodes()[n];
    if (producer.op_type != "Conv" && producer.op_type != "Gemm" && producer.op_type != "MatMul") continue;
    if (HasActivation(producer) || graph.value(producer.outputs[0]).spec->dtype != DataType::kFloat32)
      continue;
    const graph::NodeId c = consumers.Sole(producer.outputs[0]);
    if (c < 0) continue;
    const graph::Node& consumer = graph.nodes()[static_cast<size_t>(c)];
    const auto activation = AsActivation(graph, consumer);
    if (!activation) continue;
    ops::SetActivationAttributes(*activation, producer.attributes);
    AbsorbConsumer(producer, consumer, c, removed);
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace missile::passes
