#include "passes/infer_and_fold.h"

#include "ops/cpu/cpu_kernels.h"
#include "ops/op_schema.h"

namespace missile::passes {
namespace {

bool AllInputsConstant(const graph::Graph& graph, const graph::Node& node) {
  for (graph::ValueId in : node.inputs) {
    if (in != graph::kNoValue && !graph.value(in).constant) return false;
  }
  return true;
}

// Runs the node's CPU kernel on its constant inputs and stores the results as constants.
Status FoldNode(graph::Graph& graph, const graph::Node& node) {
  const ops::NodeContext ctx(graph, node);
  MISSILE_ASSIGN_OR_RETURN(auto kernel, ops::cpu::CreateKernel(ctx));
  std::vector<const void*> inputs;
  for (graph::ValueId in : node.inputs) {
    inputs.push_back(in == graph::kNoValue ? nullptr : graph.value(in).constant->raw_data());
  }
  std::vector<Tensor> results;
  std::vector<void*> outputs;
  for (graph::ValueId out : node.outputs) {
    if (out == graph::kNoValue) {
      outputs.push_back(nullptr);
      continue;
    }
    const auto& spec = *graph.value(out).spec;
    results.emplace_back(spec.dtype, spec.shape);
    outputs.push_back(results.back().raw_data());
  }
  std::vector<std::byte> workspace(kernel->workspace_bytes());
  MISSILE_RETURN_IF_ERROR(kernel->Run({inputs.data(), outputs.data(), workspace.data()}));
  size_t next = 0;
  for (graph::ValueId out : node.outputs) {
    if (out != graph::kNoValue) graph.value(out).constant = std::move(results[next++]);
  }
  return Status::Ok();
}

}  // namespace

Status InferShapesAndFold(graph::Graph& graph, const std::vector<graph::TensorSpec>& input_specs) {
  for (size_t i = 0; i < graph.inputs().size(); ++i) graph.value(graph.inputs()[i]).spec = input_specs[i];

  std::vector<bool> folded(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    const ops::NodeContext ctx(graph, node);
    MISSILE_ASSIGN_OR_RETURN(auto specs, ops::InferNode(ctx));
    if (specs.size() < node.outputs.size()) {
      return Error(ErrorCode::kInternal, "{}: inferred {} outputs, node has {}", node.Describe(),
                   specs.size(), node.outputs.size());
    }
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o] != graph::kNoValue) graph.value(node.outputs[o]).spec = specs[o];
    }

    const ops::OpSchema* schema = ops::FindSchema(node.op_type);
    if (schema->value_from_shapes != nullptr) {
      auto value = schema->value_from_shapes(ctx);
      if (!value.ok()) return value.status().WithContext(node.Describe());
      graph.value(node.outputs[0]).constant = std::move(value).value();
      folded[n] = true;
    } else if (AllInputsConstant(graph, node)) {
      MISSILE_RETURN_IF_ERROR(FoldNode(graph, node).WithContext("folding constants"));
      folded[n] = true;
    }
  }
  graph.RemoveNodes(folded);
  return graph.Finalize();
}

}  // namespace missile::passes
