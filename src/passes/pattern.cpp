#include "passes/pattern.h"

namespace missile::passes {

Consumers::Consumers(const graph::Graph& graph)
    : readers_(graph.value_count()), is_output_(graph.value_count(), false) {
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (graph::ValueId in : graph.nodes()[n].inputs) {
      if (in != graph::kNoValue) readers_[static_cast<size_t>(in)].push_back(static_cast<graph::NodeId>(n));
    }
  }
  for (graph::ValueId out : graph.outputs()) is_output_[static_cast<size_t>(out)] = true;
}

graph::NodeId Consumers::Sole(graph::ValueId value) const {
  const auto& readers = readers_[static_cast<size_t>(value)];
  if (is_output_[static_cast<size_t>(value)] || readers.size() != 1) return -1;
  return readers[0];
}

void AbsorbConsumer(graph::Node& producer, const graph::Node& consumer, graph::NodeId consumer_id,
                    std::vector<bool>& removed) {
  producer.outputs[0] = consumer.outputs[0];
  removed[static_cast<size_t>(consumer_id)] = true;
}

}  // namespace missile::passes
