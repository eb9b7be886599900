#include "passes/fusions.h"

namespace missile::passes {
namespace {

// Whether the permutation keeps every dim larger than 1 in its order: then no element moves.
bool MovesNothing(const std::vector<int64_t>& perm, const Shape& input) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(input.size())) return false;
    if (input[static_cast<size_t>(p)] == 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

}  // namespace

Status EliminateIdentities(graph::Graph& graph) {
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    if (node.op_type != "Identity" && node.op_type != "Dropout") continue;
    if (node.op_type == "Dropout" && node.outputs.size() > 1 && node.outputs[1] != graph::kNoValue) continue;
    graph.ReplaceUses(node.outputs[0], node.inputs[0]);
    removed[n] = true;
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace missile::passes

namespace missile::passes {

Status TransposesAsViews(graph::Graph& graph) {
  bool changed = false;
  for (graph::Node& node : graph.nodes()) {
    if (node.op_type != "Transpose" || node.inputs.empty()) continue;
    const graph::Value& input = graph.value(node.inputs[0]);
    const graph::Value& output = graph.value(node.outputs[0]);
    if (!input.spec || !output.spec || input.constant) continue;
    std::vector<int64_t> perm = node.attributes.Ints("perm", {});
    if (perm.empty()) {  // ONNX's default: the dims reversed
      for (size_t d = input.spec->shape.size(); d-- > 0;) perm.push_back(static_cast<int64_t>(d));
    }
    if (perm.size() != input.spec->shape.size() || !MovesNothing(perm, input.spec->shape)) continue;
    if (NumElements(input.spec->shape) == 0) continue;  // Reshape would read a 0 in its shape as "keep"
    const Shape shape = output.spec->shape;
    node.op_type = "Reshape";
    node.attributes = {};
    node.inputs.push_back(graph.AddConstant(
        node.name + ".shape", Tensor::FromVector<int64_t>({static_cast<int64_t>(shape.size())}, shape)));
    changed = true;
  }
  return changed ? graph.Finalize() : Status::Ok();
}

}  // namespace missile::passes
