#include "runtime/input_binding.h"

#include <fmt/ranges.h>

#include <algorithm>

namespace missile::runtime {
namespace {

std::vector<std::string> InputNames(const graph::Graph& graph) {
  std::vector<std::string> names;
  for (graph::ValueId id : graph.inputs()) names.push_back(graph.value(id).name);
  return names;
}

}  // namespace

Result<std::vector<graph::TensorSpec>> BindInputs(const graph::Graph& graph, const NamedTensors& inputs) {
  const std::vector<std::string> names = InputNames(graph);
  for (const auto& [name, tensor] : inputs) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Error(ErrorCode::kInvalidArgument, "unknown input '{}' (the model's inputs: {})", name,
                   fmt::join(names, ", "));
    }
  }
  std::map<std::string, int64_t> symbols;
  std::vector<graph::TensorSpec> specs;
  for (size_t i = 0; i < names.size(); ++i) {
    const graph::InputSignature& signature = graph.input_signatures()[i];
    auto it = inputs.find(names[i]);
    if (it == inputs.end()) {
      return Error(ErrorCode::kInvalidArgument, "missing input '{}': expected {} {}", names[i],
                   DataTypeName(signature.dtype), signature.ShapeString());
    }
    const Tensor& tensor = it->second;
    if (tensor.dtype() != signature.dtype) {
      return Error(ErrorCode::kInvalidArgument, "input '{}': expected dtype {}, got {}", names[i],
                   DataTypeName(signature.dtype), DataTypeName(tensor.dtype()));
    }
    bool shape_ok = tensor.rank() == signature.dims.size();
    for (size_t d = 0; shape_ok && d < signature.dims.size(); ++d) {
      const graph::Dim& dim = signature.dims[d];
      const int64_t given = tensor.shape()[d];
      if (dim.known()) {
        shape_ok = given == dim.value;
      } else if (!dim.symbol.empty()) {
        auto [bound, inserted] = symbols.try_emplace(dim.symbol, given);
        shape_ok = inserted || bound->second == given;
      }
    }
    if (!shape_ok) {
      return Error(ErrorCode::kInvalidArgument, "input '{}': expected shape {}, got {}", names[i],
                   signature.ShapeString(), ShapeToString(tensor.shape()));
    }
    specs.push_back({tensor.dtype(), tensor.shape()});
  }
  return specs;
}

}  // namespace missile::runtime
