#include <cmath>

#include "ops/activation.h"
#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

bool IsFloat32Constant(const graph::Graph& graph, graph::ValueId v) {
  return IsConstant(graph, v) && graph.value(v).constant->dtype() == DataType::kFloat32;
}

// Can `bn` (reading conv's output) be folded into `conv`?
bool Foldable(const graph::Graph& graph, const graph::Node& conv, const graph::Node& bn) {
  if (bn.op_type != "BatchNormalization" || bn.attributes.Int("training_mode", 0) != 0) return false;
  if (conv.inputs.size() > 3 || conv.attributes.Has(ops::kFusedActivationAttr)) return false;
  if (!IsFloat32Constant(graph, conv.inputs[1])) return false;
  if (conv.inputs.size() == 3 && conv.inputs[2] != graph::kNoValue &&
      !IsFloat32Constant(graph, conv.inputs[2])) {
    return false;
  }
  for (size_t i = 1; i < 5; ++i) {
    if (!IsFloat32Constant(graph, bn.inputs[i])) return false;
  }
  for (size_t i = 1; i < bn.outputs.size(); ++i) {
    if (bn.outputs[i] != graph::kNoValue) return false;  // running statistics requested: training graph
  }
  return true;
}

// W'[o] = W[o] * s[o], B'[o] = (B[o] - mean[o]) * s[o] + beta[o], with s = gamma / sqrt(var + eps).
void Fold(graph::Graph& graph, graph::Node& conv, const graph::Node& bn) {
  const Tensor& w = *graph.value(conv.inputs[1]).constant;
  const float* gamma = graph.value(bn.inputs[1]).constant->data<float>();
  const float* beta = graph.value(bn.inputs[2]).constant->data<float>();
  const float* mean = graph.value(bn.inputs[3]).constant->data<float>();
  const float* var = graph.value(bn.inputs[4]).constant->data<float>();
  const float epsilon = bn.attributes.Float("epsilon", 1e-5f);
  const int64_t out_channels = w.shape()[0];
  const int64_t per_channel = w.num_elements() / out_channels;
  const bool has_bias = conv.inputs.size() == 3 && conv.inputs[2] != graph::kNoValue;

  Tensor folded_w = w.Clone();
  Tensor folded_b(DataType::kFloat32, {out_channels});
  for (int64_t o = 0; o < out_channels; ++o) {
    // Double precision keeps the folded weights as close as possible to what the unfused graph computes.
    const double scale = static_cast<double>(gamma[o]) / std::sqrt(static_cast<double>(var[o]) + epsilon);
    float* row = folded_w.data<float>() + o * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) row[i] = static_cast<float>(row[i] * scale);
    const double bias = has_bias ? graph.value(conv.inputs[2]).constant->data<float>()[o] : 0.0;
    folded_b.data<float>()[o] = static_cast<float>((bias - mean[o]) * scale + beta[o]);
  }
  conv.inputs.resize(3);
  conv.inputs[1] = graph.AddConstant(conv.name + ".folded_weight", std::move(folded_w));
  conv.inputs[2] = graph.AddConstant(conv.name + ".folded_bias", std::move(folded_b));
}

}  // namespace

Status FoldConvBatchNorm(graph::Graph& graph) {
  const Consumers consumers(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    graph::Node& conv = graph.nodes()[n];
    if (conv.op_type != "Conv") continue;
    const graph::NodeId c = consumers.Sole(conv.outputs[0]);
    if (c < 0) continue;
    const graph::Node& bn = graph.nodes()[static_cast<size_t>(c)];
    if (!Foldable(graph, conv, bn)) continue;
    Fold(graph, conv, bn);
    AbsorbConsumer(conv, bn, c, removed);
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace missile::passes
