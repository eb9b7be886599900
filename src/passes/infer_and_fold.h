// Shape inference and constant folding, in one walk over the graph.
//
// Input shapes are bound first; each node's output specs then follow from its schema. A node whose inputs are
// all known at load time (initializers, folded values) is run once on the CPU and replaced by its result,
// which is how PyTorch's shape sub-graphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) disappear from
// the plan.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace missile::passes {

Status InferShapesAndFold(graph::Graph& graph, const std::vector<graph::TensorSpec>& input_specs);

}  // namespace missile::passes
