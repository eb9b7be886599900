#include "graph/graph.h"

#include <unordered_map>

namespace missile::graph {

std::string InputSignature::ShapeString() const {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += ",";
    out += dims[i].known() ? std::to_string(dims[i].value) : (dims[i].symbol.empty() ? "?" : dims[i].symbol);
  }
  return out + "]";
}

std::string Node::Describe() const {
  return fmt::format("node '{}' ({})", name, op_type);
}

ValueId Graph::AddValue(std::string name) {
  Value value;
  value.name = std::move(name);
  values_.push_back(std::move(value));
  return static_cast<ValueId>(values_.size() - 1);
}

ValueId Graph::AddConstant(std::string name, Tensor tensor) {
  const ValueId id = AddValue(std::move(name));
  Value& v = value(id);
  v.spec = TensorSpec{tensor.dtype(), tensor.shape()};
  v.constant = std::move(tensor);
  return id;
}

ValueId Graph::FindValue(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].name == name) return static_cast<ValueId>(i);
  }
  return kNoValue;
}

std::vector<int> Graph::ConsumerCounts() const {
  std::vector<int> counts(values_.size(), 0);
  for (const Node& node : nodes_) {
    for (ValueId in : node.inputs) {
      if (in != kNoValue) ++counts[static_cast<size_t>(in)];
    }
  }
  for (ValueId out : outputs_) ++counts[static_cast<size_t>(out)];
  return counts;
}

void Graph::ReplaceUses(ValueId from, ValueId to) {
  for (Node& node : nodes_) {
    for (ValueId& in : node.inputs) {
      if (in == from) in = to;
    }
  }
  for (ValueId& out : outputs_) {
    if (out == from) out = to;
  }
}

void Graph::RemoveNodes(const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(nodes_[i]));
  }
  nodes_ = std::move(kept);
}

Status Graph::Finalize() {
  // Dead-node elimination, backwards: a node lives if a graph output or a live node needs one of its outputs.
  std::vector<bool> needed(values_.size(), false);
  for (ValueId out : outputs_) needed[static_cast<size_t>(out)] = true;
  std::vector<Node> live;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    bool keep = false;
    for (ValueId out : it->outputs) keep = keep || (out != kNoValue && needed[static_cast<size_t>(out)]);
    if (!keep) continue;
    for (ValueId in : it->inputs) {
      if (in != kNoValue) needed[static_cast<size_t>(in)] = true;
    }
    live.push_back(std::move(*it));
  }
  nodes_.assign(std::make_move_iterator(live.rbegin()), std::make_move_iterator(live.rend()));

  // Producers, and the check that every value is defined before it is read.
  std::vector<bool> defined(values_.size(), false);
  for (Value& v : values_) v.producer = -1;
  for (ValueId in : inputs_) defined[static_cast<size_t>(in)] = true;
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].constant) defined[i] = true;
  }
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (ValueId in : nodes_[n].inputs) {
      if (in != kNoValue && !defined[static_cast<size_t>(in)]) {
        return Error(ErrorCode::kInvalidModel,
                     "{}: input '{}' is not produced by any earlier node, initializer "
                     "or graph input",
                     nodes_[n].Describe(), value(in).name);
      }
    }
    for (ValueId out : nodes_[n].outputs) {
      if (out == kNoValue) continue;
      if (defined[static_cast<size_t>(out)]) {
        return Error(ErrorCode::kInvalidModel, "{}: output '{}' is defined twice", nodes_[n].Describe(),
                     value(out).name);
      }
      defined[static_cast<size_t>(out)] = true;
      value(out).producer = static_cast<NodeId>(n);
    }
  }
  for (ValueId out : outputs_) {
    if (!defined[static_cast<size_t>(out)]) {
      return Error(ErrorCode::kInvalidModel, "graph output '{}' is never produced", value(out).name);
    }
  }
  return Status::Ok();
}

}  // namespace missile::graph
