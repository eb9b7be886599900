// A model compiled for one backend at fixed input shapes: kernels built, arena laid out, weights where the
// kernels read them. Running it is a loop of kernel launches; the scheduler can also release the steps one
// by one.
#pragma once

#include <vector>

#include "graph/graph.h"
#include "plan/execution_plan.h"

namespace missile::runtime {

struct StepTiming {
  graph::NodeId node;
  double milliseconds;
};

class Executable {
 public:
  virtual ~Executable() = default;

  // Inputs in graph-input order, already validated; outputs in graph-output order, on the host. Not
  // reentrant: an executable owns one arena. `timings`, when given, receives one entry per step.
  virtual Result<std::vector<Tensor>> Run(const std::vector<const Tensor*>& inputs,
                                          std::vector<StepTiming>* timings = nullptr) = 0;

  const graph::Graph& graph() const { return graph_; }
  const plan::ExecutionPlan& plan() const { return plan_; }

 protected:
  graph::Graph graph_;
  plan::ExecutionPlan plan_;
};

}  // namespace missile::runtime
