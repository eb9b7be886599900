#include "sched/profile_synthesizer.h"

#include <cmath>

#include "sched/kernel_workload.h"

namespace missile::sched {
namespace {

// Keeps the JSON readable: nanosecond resolution is finer than any measurement.
double RoundTo(double value, double step) {
  return std::round(value / step) * step;
}

double TensorBytes(const graph::Graph& graph, graph::ValueId value, int float_bytes) {
  const auto& spec = graph.value(value).spec;
  if (!spec.has_value()) return 0;
  const double element =
      IsFloatingPoint(spec->dtype) ? float_bytes : static_cast<double>(DataTypeSize(spec->dtype));
  return static_cast<double>(NumElements(spec->shape)) * element;
}

}  // namespace

Result<ModelProfile> SynthesizeProfile(const graph::Graph& graph, const plan::ExecutionPlan& plan,
                                       const SynthesisOptions& options, const ContentionModel& dram) {
  int float_bytes = 0;
  if (options.precision == "fp16") {
    float_bytes = 2;
  } else if (options.precision == "fp32") {
    float_bytes = 4;
  } else {
    return Error(ErrorCode::kInvalidArgument, "unknown precision '{}' (fp16 or fp32)", options.precision);
  }
  if (!options.layout.valid()) return Error(ErrorCode::kInvalidArgument, "invalid SM layout");
  const RooflineAssumptions assumptions =
      options.assumptions.value_or(RooflineAssumptions::H200(float_bytes));

  ModelProfile profile;
  profile.model = options.model;
  profile.precision = options.precision;
  profile.source = kSynthesizedSource;
  profile.device = options.device;
  profile.layout = options.layout;
  profile.batch = 1;
  if (!graph.inputs().empty()) {
    const auto& spec = graph.value(graph.inputs()[0]).spec;
    if (spec.has_value() && !spec->shape.empty()) profile.batch = static_cast<int>(spec->shape[0]);
  }
  for (graph::ValueId in : graph.inputs()) profile.input_bytes += TensorBytes(graph, in, float_bytes);
  for (graph::ValueId out : graph.outputs()) profile.output_bytes += TensorBytes(graph, out, float_bytes);
  profile.notes = assumptions.Describe();

  for (const plan::Step& step : plan.steps()) {
    const graph::Node& node = graph.nodes()[static_cast<size_t>(step.node)];
    MISSILE_ASSIGN_OR_RETURN(KernelWorkload work, DescribeKernelWork(graph, node, float_bytes));
    const KernelTiming timing = TimeKernel(work, options.layout, dram, assumptions);
    KernelProfile kernel;
    kernel.name = node.name;
    kernel.op = work.op;
    kernel.flops = work.flops;
    kernel.bytes = timing.bytes;
    kernel.blocks = timing.blocks;
    for (double us : timing.duration_us) kernel.duration_us.push_back(RoundTo(us, 1e-3));
    kernel.memory_intensity = RoundTo(timing.memory_intensity, 1e-4);
    kernel.memory_bound = timing.memory_bound;
    profile.kernels.push_back(std::move(kernel));
  }
  MISSILE_RETURN_IF_ERROR(profile.Validate());
  return profile;
}

}  // namespace missile::sched
