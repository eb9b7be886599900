// Kernel profiles without a GPU: every step of a model's execution plan timed by the roofline model
// (roofline.h) on every partition size. Used by tests, by the simulator, and as the checked-in profiles until
// measurements on the H200 replace them.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "graph/graph.h"
#include "plan/execution_plan.h"
#include "sched/contention.h"
#include "sched/kernel_profile.h"
#include "sched/roofline.h"

namespace missile::sched {

inline constexpr const char* kSynthesizedSource = "synthesized-roofline";

struct SynthesisOptions {
  std::string model;               // name written into the profile
  std::string precision = "fp16";  // "fp16" or "fp32": element size of floating-point tensors
  std::string device = "NVIDIA H200";
  GpuLayout layout = GpuLayout::H200();
  // Unset: RooflineAssumptions::H200 for the precision.
  std::optional<RooflineAssumptions> assumptions;
};

// `graph` and `plan` as a backend compiled them (all shapes known); the batch is the first input's first
// dimension.
Result<ModelProfile> SynthesizeProfile(const graph::Graph& graph, const plan::ExecutionPlan& plan,
                                       const SynthesisOptions& options,
                                       const ContentionModel& dram = ContentionModel::H200());

}  // namespace missile::sched
