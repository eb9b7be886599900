// From an operation graph to execution plans: cuDNN's engine heuristics (the ranked list of mode A, then the
// fallback list), engines whose numerics Missile does not accept filtered out, and the configurations that
// finalize into a plan. Timing the plans is the caller's part.
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ops/cuda/cudnn/backend_descriptor.h"

namespace missile::ops::cuda::cudnn {

struct ExecutionPlan {
  BackendDescriptor plan;
  int64_t workspace_bytes = 0;
  std::string name;  // engine index and knob choices, e.g. "eng12{k1=2,k3=0}" ("+rtc": runtime-compiled)
  // The engine configuration the plan was finalized from, kept alive with it (cudnn_frontend does the same).
  BackendDescriptor config;
  double finalize_ms = 0;  // host time cuDNN took to finalize it (a runtime compilation among it)
};

struct PlanSearchOptions {
  bool float32_data = true;
  bool allow_tf32 = true;
  bool allow_runtime_compiled = false;  // engines whose kernel NVRTC compiles at finalize
  size_t max_plans = 8;                 // stop after this many plans finalized
  int64_t max_workspace = 0;            // plans wanting more scratch are skipped
  std::string only_plan;                // non-empty: this configuration alone (a stored winner, by its name)
};

// Where a search's host time went, for MISSILE_CUDNN_VERBOSE: the heuristic queries, and the finalizes that
// failed (the successful ones are on their plans).
struct PlanSearchCost {
  double heuristics_ms = 0;
  double failed_finalize_ms = 0;
  int failed_finalizes = 0;
};

// The plans, best guess first. Empty when no engine supports the graph (a heuristic list that cuDNN refuses
// to produce counts as empty, not as an error).
Result<std::vector<ExecutionPlan>> BuildExecutionPlans(cudnnHandle_t handle, const BackendDescriptor& graph,
                                                       const PlanSearchOptions& options,
                                                       PlanSearchCost* cost = nullptr);

}  // namespace missile::ops::cuda::cudnn
