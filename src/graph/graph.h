// The model as Missile sees it: values (tensors) and nodes (operators) in topological order.
//
// The importer builds it from ONNX; passes (constant folding, fusion) rewrite it; the planner turns it into
// an ordered list of kernels. Values are indexed, not named, so passes can rewire edges cheaply.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "graph/attributes.h"

namespace missile::graph {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;

// A dimension is either known or named (ONNX dim_param: bound when inputs arrive).
struct Dim {
  int64_t value = -1;  // -1 when symbolic
  std::string symbol;
  bool known() const { return value >= 0; }
};

// A graph input's declared type: what callers must provide.
struct InputSignature {
  DataType dtype = DataType::kFloat32;
  std::vector<Dim> dims;
  std::string ShapeString() const;
};

struct TensorSpec {
  DataType dtype = DataType::kFloat32;
  Shape shape;
  size_t nbytes() const { return static_cast<size_t>(NumElements(shape)) * DataTypeSize(dtype); }
};

struct Value {
  std::string name;
  std::optional<TensorSpec> spec;  // set by shape inference
  std::optional<Tensor> constant;  // initializers and folded results
  NodeId producer = -1;            // -1 for graph inputs and constants
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<ValueId> inputs;  // kNoValue marks an omitted optional input
  std::vector<ValueId> outputs;
  Attributes attributes;

  std::string Describe() const;  // "node 'conv1' (Conv)" for error messages
};

class Graph {
 public:
  ValueId AddValue(std::string name);
  ValueId AddConstant(std::string name, Tensor tensor);
  // The value with this name, or kNoValue.
  ValueId FindValue(const std::string& name) const;

  Value& value(ValueId id) { return values_[static_cast<size_t>(id)]; }
  const Value& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  size_t value_count() const { return values_.size(); }

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }

  std::vector<ValueId>& inputs() { return inputs_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  std::vector<InputSignature>& input_signatures() { return input_signatures_; }
  const std::vector<InputSignature>& input_signatures() const { return input_signatures_; }
  std::vector<ValueId>& outputs() { return outputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  // The outputs' names as the model declares them; passes may rewire outputs() to other values.
  std::vector<std::string>& output_names() { return output_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

  int opset() const { return opset_; }
  void set_opset(int opset) { opset_ = opset; }

  // Re-derives producers, drops nodes whose outputs nobody needs, and checks every input is defined before
  // use.
  Status Finalize();
  // Number of nodes reading each value (graph outputs count as one reader).
  std::vector<int> ConsumerCounts() const;
  // Replaces every use of `from` (node inputs and graph outputs) by `to`.
  void ReplaceUses(ValueId from, ValueId to);
  // Removes the marked nodes (passes mark while they scan, then remove in one go).
  void RemoveNodes(const std::vector<bool>& removed);

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<InputSignature> input_signatures_;
  std::vector<ValueId> outputs_;
  std::vector<std::string> output_names_;
  int opset_ = 0;
};

}  // namespace missile::graph
