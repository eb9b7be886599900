#include "plan/execution_plan.h"

#include "ops/op_schema.h"

namespace missile::plan {

bool IsAliasingView(const graph::Graph& graph, const graph::Node& node) {
  const ops::OpSchema* schema = ops::FindSchema(node.op_type);
  return schema != nullptr && schema->is_view && !graph.value(node.inputs[0]).constant;
}

ExecutionPlan ExecutionPlan::Build(const graph::Graph& graph,
                                   const std::function<size_t(graph::NodeId)>& workspace_of) {
  ExecutionPlan plan;
  const size_t value_count = graph.value_count();
  // Each value's storage root: itself, or the value a view aliases (resolved transitively).
  std::vector<graph::ValueId> root(value_count);
  for (size_t v = 0; v < value_count; ++v) root[v] = static_cast<graph::ValueId>(v);

  constexpr int kUnused = -2;
  std::vector<int> first(value_count, kUnused), last(value_count, kUnused);
  auto touch = [&](graph::ValueId v, int step) {
    const auto r = static_cast<size_t>(root[static_cast<size_t>(v)]);
    if (first[r] == kUnused) first[r] = step;
    last[r] = std::max(last[r], step);
  };

  // Graph inputs are written before step 0; outputs are read after the last step.
  for (graph::ValueId in : graph.inputs()) touch(in, -1);
  int step = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    if (IsAliasingView(graph, node)) {
      root[static_cast<size_t>(node.outputs[0])] = root[static_cast<size_t>(node.inputs[0])];
      touch(node.inputs[0], step);
      continue;
    }
    for (graph::ValueId in : node.inputs) {
      if (in != graph::kNoValue && !graph.value(in).constant) touch(in, step);
    }
    for (graph::ValueId out : node.outputs) {
      if (out != graph::kNoValue) touch(out, step);
    }
    plan.steps_.push_back(Step{.node = static_cast<graph::NodeId>(n)});
    ++step;
  }
  for (graph::ValueId out : graph.outputs()) {
    if (!graph.value(out).constant) touch(out, step);
  }

  // One request per root buffer and per workspace.
  std::vector<BufferRequest> requests;
  std::vector<graph::ValueId> request_value;  // kNoValue for workspaces
  std::vector<size_t> request_step;
  for (size_t v = 0; v < value_count; ++v) {
    if (root[v] != static_cast<graph::ValueId>(v) || first[v] == kUnused || graph.value(v).constant) continue;
    const size_t bytes = graph.value(static_cast<graph::ValueId>(v)).spec->nbytes();
    requests.push_back({bytes, first[v], last[v]});
    request_value.push_back(static_cast<graph::ValueId>(v));
    request_step.push_back(SIZE_MAX);
    plan.unshared_bytes_ += bytes;
  }
  for (size_t s = 0; s < plan.steps_.size(); ++s) {
    plan.steps_[s].workspace_bytes = workspace_of(plan.steps_[s].node);
    if (plan.steps_[s].workspace_bytes == 0) continue;
    requests.push_back({plan.steps_[s].workspace_bytes, static_cast<int>(s), static_cast<int>(s)});
    request_value.push_back(graph::kNoValue);
    request_step.push_back(s);
  }
  const MemoryPlan memory = PlanMemory(requests);
  plan.arena_bytes_ = memory.arena_bytes;

  plan.locations_.resize(value_count);
  for (size_t r = 0; r < requests.size(); ++r) {
    if (request_value[r] == graph::kNoValue) {
      plan.steps_[request_step[r]].workspace_offset = memory.offsets[r];
    } else {
      plan.locations_[static_cast<size_t>(request_value[r])] = {ValueLocation::Kind::kArena,
                                                                memory.offsets[r]};
    }
  }
  for (size_t v = 0; v < value_count; ++v) {
    if (graph.value(static_cast<graph::ValueId>(v)).constant) {
      plan.locations_[v] = {ValueLocation::Kind::kConstant, 0};
    } else if (root[v] != static_cast<graph::ValueId>(v)) {
      plan.locations_[v] = plan.locations_[static_cast<size_t>(root[v])];
    }
  }
  return plan;
}

}  // namespace missile::plan
