// The optimisation pipeline a model goes through once its input shapes are known.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace missile::passes {

struct PipelineOptions {
  bool fuse = true;  // off: the graph runs as imported (after folding), which tests use to check the fusions
};

Status RunPipeline(graph::Graph& graph, const std::vector<graph::TensorSpec>& input_specs,
                   const PipelineOptions& options = {});

}  // namespace missile::passes
