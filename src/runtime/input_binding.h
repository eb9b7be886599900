// Checks a request's tensors against the model's declared inputs and binds symbolic dimensions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace missile::runtime {

using NamedTensors = std::map<std::string, Tensor>;

// Returns the concrete input specs in the graph's input order, or an error naming the input and what was
// expected versus given (unknown name, missing input, dtype, rank, dimension, inconsistent symbolic
// dimension).
Result<std::vector<graph::TensorSpec>> BindInputs(const graph::Graph& graph, const NamedTensors& inputs);

}  // namespace missile::runtime
