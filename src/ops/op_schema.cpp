#include "ops/op_schema.h"

#include <unordered_map>

namespace missile::ops {

std::vector<const OpSchema*> AllSchemas() {
  std::vector<const OpSchema*> all;
  for (auto family : {ElementwiseSchemas(), ConvSchemas(), MatMulSchemas(), NormalizationSchemas(),
                      PoolSchemas(), ReduceSchemas(), TensorSchemas()}) {
    for (const OpSchema& schema : family) all.push_back(&schema);
  }
  return all;
}

const OpSchema* FindSchema(std::string_view op_type) {
  static const auto* table = [] {
    auto* map = new std::unordered_map<std::string_view, const OpSchema*>();
    for (const OpSchema* schema : AllSchemas()) map->emplace(schema->op_type, schema);
    return map;
  }();
  auto it = table->find(op_type);
  return it == table->end() ? nullptr : it->second;
}

Result<std::vector<TensorSpec>> InferNode(const NodeContext& ctx) {
  const graph::Node& node = ctx.node();
  if (!node.domain.empty()) {
    return Error(ErrorCode::kUnimplemented, "unsupported operator '{}' of domain '{}' at {}", node.op_type,
                 node.domain, node.Describe());
  }
  const OpSchema* schema = FindSchema(node.op_type);
  if (schema == nullptr) {
    return Error(ErrorCode::kUnimplemented, "unsupported operator '{}' at {}", node.op_type, node.Describe());
  }
  const int inputs = static_cast<int>(node.inputs.size());
  const int outputs = static_cast<int>(node.outputs.size());
  if (inputs < schema->min_inputs || inputs > schema->max_inputs) {
    return Error(ErrorCode::kInvalidModel, "{}: takes {} to {} inputs, got {}", node.Describe(),
                 schema->min_inputs, schema->max_inputs, inputs);
  }
  if (outputs < schema->min_outputs || outputs > schema->max_outputs) {
    return Error(ErrorCode::kInvalidModel, "{}: produces {} to {} outputs, got {}", node.Describe(),
                 schema->min_outputs, schema->max_outputs, outputs);
  }
  for (int i = 0; i < schema->min_inputs; ++i) {
    if (!ctx.has_input(static_cast<size_t>(i))) {
      return Error(ErrorCode::kInvalidModel, "{}: required input {} is missing", node.Describe(), i);
    }
  }
  auto specs = schema->infer(ctx);
  if (!specs.ok()) return specs.status().WithContext(node.Describe());
  return specs;
}

}  // namespace missile::ops
