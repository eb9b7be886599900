// Runs a model's float32 arithmetic in float16 on backends that compute in half precision.
//
// Every float32 value inside the graph becomes float16: constants are converted once (finite values beyond
// fp16's range saturate to +-65504 rather than becoming infinities, so a "-3.4e38" attention mask stays a
// large negative number and 0 * mask stays 0), and casts to float32 cast to float16 instead. The model's
// inputs and outputs keep their declared dtypes: a Cast at each boundary converts them, as TensorRT does,
// so callers feed and receive the same tensors at either precision.
#pragma once

#include "graph/graph.h"

namespace missile::passes {

// Takes a graph whose specs are all known (after RunPipeline). Re-infers every node afterwards and fails,
// naming the node, if an operator's inferred dtype disagrees with the lowered graph.
Status LowerFloat32ToFloat16(graph::Graph& graph);

}  // namespace missile::passes
