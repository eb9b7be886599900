// What an operator sees of its node, when its outputs are inferred and when a backend builds its kernel.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "graph/graph.h"

namespace missile::ops {

using graph::TensorSpec;

class NodeContext {
 public:
  NodeContext(const graph::Graph& graph, const graph::Node& node) : graph_(graph), node_(node) {}

  const graph::Node& node() const { return node_; }
  const graph::Attributes& attributes() const { return node_.attributes; }
  const std::string& op_type() const { return node_.op_type; }
  int opset() const { return graph_.opset(); }

  size_t input_count() const { return node_.inputs.size(); }
  // False for an omitted optional input (absent or given as the empty name).
  bool has_input(size_t i) const { return i < node_.inputs.size() && node_.inputs[i] != graph::kNoValue; }
  const std::string& input_name(size_t i) const { return graph_.value(node_.inputs[i]).name; }
  // The input's dtype and shape; only valid once shape inference reached this node.
  const TensorSpec& input(size_t i) const { return *graph_.value(node_.inputs[i]).spec; }
  const Shape& input_shape(size_t i) const { return input(i).shape; }
  DataType input_dtype(size_t i) const { return input(i).dtype; }
  // The input's value when it is known before run time (initializer or folded), else nullptr.
  const Tensor* constant_input(size_t i) const;
  // A shape-like input (Reshape's shape, Slice's starts, ...) that must be constant for a static plan.
  Result<std::vector<int64_t>> ConstantInts(size_t i) const;
  // ConstantInts, or `fallback` when the optional input is omitted.
  Result<std::vector<int64_t>> OptionalInts(size_t i, std::vector<int64_t> fallback) const;
  // A constant input of any numeric dtype as doubles (Resize's scales, Range's bounds).
  Result<std::vector<double>> ConstantDoubles(size_t i) const;
  Result<float> ConstantScalar(size_t i) const;

  size_t output_count() const { return node_.outputs.size(); }
  bool has_output(size_t i) const { return i < node_.outputs.size() && node_.outputs[i] != graph::kNoValue; }
  const TensorSpec& output(size_t i) const { return *graph_.value(node_.outputs[i]).spec; }
  const Shape& output_shape(size_t i) const { return output(i).shape; }

 private:
  // The input's constant value, or the error that says a static plan needs one.
  Result<const Tensor*> RequireConstant(size_t i) const;

  const graph::Graph& graph_;
  const graph::Node& node_;
};

// Errors raised inside an operator get the node's name prepended by the caller.
template <typename... Args>
Status InvalidNode(fmt::format_string<Args...> format, Args&&... args) {
  return Error(ErrorCode::kInvalidModel, format, std::forward<Args>(args)...);
}

// Fails unless input i is int64 or int32 (indices, an axis operand, Range's bounds); `what` names it.
Status RequireIndexType(const NodeContext& ctx, size_t i, std::string_view what);

}  // namespace missile::ops
