// ONNX → Graph, through Debian's libonnx (protobuf classes and the official checker).
#pragma once

#include <string>

#include "graph/graph.h"

namespace missile::graph {

// Loads and validates an ONNX file. Malformed, truncated or unsupported files give an error naming the
// problem.
Result<Graph> ImportOnnxFile(const std::string& path);
Result<Graph> ImportOnnxBytes(std::string_view bytes, const std::string& base_dir);

}  // namespace missile::graph
