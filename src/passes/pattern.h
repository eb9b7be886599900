// Small helpers that fusion passes share to match "A feeds only B" patterns.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace missile::passes {

// For each value, the nodes that read it; a graph output counts as a reader that can't be fused away.
class Consumers {
 public:
  explicit Consumers(const graph::Graph& graph);
  // The single node reading `value`, or -1 when zero or several nodes read it, or it is a graph output.
  graph::NodeId Sole(graph::ValueId value) const;
  // Every node reading `value` (a node reading it twice appears twice).
  const std::vector<graph::NodeId>& Readers(graph::ValueId value) const {
    return readers_[static_cast<size_t>(value)];
  }
  bool IsOutput(graph::ValueId value) const { return is_output_[static_cast<size_t>(value)]; }

 private:
  std::vector<std::vector<graph::NodeId>> readers_;
  std::vector<bool> is_output_;
};

// True when the value is a constant (initializer or folded).
inline bool IsConstant(const graph::Graph& graph, graph::ValueId value) {
  return value != graph::kNoValue && graph.value(value).constant.has_value();
}

// Makes `producer` write what `consumer` wrote, and marks `consumer` removed: the standard end of a fusion.
void AbsorbConsumer(graph::Node& producer, const graph::Node& consumer, graph::NodeId consumer_id,
                    std::vector<bool>& removed);

}  // namespace missile::passes
