#include "passes/fusions.h"

namespace missile::passes {

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
