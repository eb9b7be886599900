// A model compiled for the CPU backend at fixed input shapes: kernels built, arena laid out, every pointer
// each kernel receives resolved ahead, so running it is a loop of kernel calls.
#pragma once

#include <memory>
#include <vector>

#include "graph/graph.h"
#include "ops/kernel.h"
#include "plan/execution_plan.h"
#include "runtime/input_binding.h"

namespace missile::runtime {

struct StepTiming {
  graph::NodeId node;
  double milliseconds;
};

class CpuExecutable {
 public:
  // Takes a graph that went through the pass pipeline (all specs known).
  static Result<std::unique_ptr<CpuExecutable>> Build(graph::Graph graph);

  // Inputs in graph-input order, already validated; outputs in graph-output order. Not reentrant: one arena.
  Result<std::vector<Tensor>> Run(const std::vector<const Tensor*>& inputs,
                                  std::vector<StepTiming>* timings = nullptr);

  // Step by step, for a scheduler that releases kernels one at a time: SetInputs, RunStep(0) ..
  // RunStep(step_count() - 1) in order, then Outputs(). Run() is exactly this sequence. One request at a
  // time.
  size_t step_count() const { return steps_.size(); }
  void SetInputs(const std::vector<const Tensor*>& inputs);
  Status RunStep(size_t step);
  std::vector<Tensor> Outputs();

  const graph::Graph& graph() const { return graph_; }
  const plan::ExecutionPlan& plan() const { return plan_; }

 private:
  struct BoundStep {
    std::unique_ptr<ops::Kernel> kernel;
    std::vector<const void*> inputs;
    std::vector<void*> outputs;
    void* workspace = nullptr;
  };

  CpuExecutable() = default;
  void* ValuePointer(graph::ValueId value);

  graph::Graph graph_;
  plan::ExecutionPlan plan_;
  std::shared_ptr<std::byte[]> arena_;
  std::vector<BoundStep> steps_;
};

}  // namespace missile::runtime
