// The executable plan of a model: the ordered kernels a scheduler releases one by one, and where every
// activation lives in the model's arena.
//
// Backend-independent: a backend builds one kernel per step, reports each kernel's workspace, and gets back
// the arena layout. View operators (Reshape, Squeeze...) become aliases and run no kernel at all.
#pragma once

#include <functional>
#include <vector>

#include "graph/graph.h"
#include "plan/memory_planner.h"

namespace missile::plan {

struct Step {
  graph::NodeId node = -1;
  size_t workspace_offset = 0;
  size_t workspace_bytes = 0;
};

// Where a value's bytes are at run time.
struct ValueLocation {
  enum class Kind { kNone, kArena, kConstant };
  Kind kind = Kind::kNone;
  size_t offset = 0;  // kArena: byte offset in the arena
};

class ExecutionPlan {
 public:
  // `workspace_of(node)` gives the scratch bytes the backend's kernel for that node needs.
  static ExecutionPlan Build(const graph::Graph& graph,
                             const std::function<size_t(graph::NodeId)>& workspace_of);

  const std::vector<Step>& steps() const { return steps_; }
  const ValueLocation& location(graph::ValueId value) const { return locations_[static_cast<size_t>(value)]; }
  size_t arena_bytes() const { return arena_bytes_; }
  // Sum of all activation bytes without reuse: how much the memory plan saves.
  size_t unshared_bytes() const { return unshared_bytes_; }

 private:
  std::vector<Step> steps_;
  std::vector<ValueLocation> locations_;
  size_t arena_bytes_ = 0;
  size_t unshared_bytes_ = 0;
};

// True when the node runs no kernel: its output aliases its input's buffer.
bool IsAliasingView(const graph::Graph& graph, const graph::Node& node);

}  // namespace missile::plan
