#include "runtime/cpu_executable.h"

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "ops/cpu/cpu_kernels.h"

namespace missile::runtime {

void* CpuExecutable::ValuePointer(graph::ValueId value) {
  if (value == graph::kNoValue) return nullptr;
  const plan::ValueLocation& location = plan_.location(value);
  switch (location.kind) {
    case plan::ValueLocation::Kind::kArena:
      return arena_.get() + location.offset;
    case plan::ValueLocation::Kind::kConstant:
      return graph_.value(value).constant->raw_data();
    case plan::ValueLocation::Kind::kNone:
      return nullptr;
  }
  return nullptr;
}

Result<std::unique_ptr<CpuExecutable>> CpuExecutable::Build(graph::Graph graph) {
  std::unique_ptr<CpuExecutable> executable(new CpuExecutable());
  executable->graph_ = std::move(graph);
  const graph::Graph& g = executable->graph_;

  std::unordered_map<graph::NodeId, std::unique_ptr<ops::Kernel>> kernels;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    if (plan::IsAliasingView(g, g.nodes()[n])) continue;
    MISSILE_ASSIGN_OR_RETURN(auto kernel, ops::cpu::CreateKernel(ops::NodeContext(g, g.nodes()[n])));
    kernels.emplace(static_cast<graph::NodeId>(n), std::move(kernel));
  }
  executable->plan_ =
      plan::ExecutionPlan::Build(g, [&](graph::NodeId node) { return kernels.at(node)->workspace_bytes(); });
  executable->arena_ = AllocateHostBytes(executable->plan_.arena_bytes());

  for (const plan::Step& step : executable->plan_.steps()) {
    const graph::Node& node = g.nodes()[static_cast<size_t>(step.node)];
    BoundStep bound;
    bound.kernel = std::move(kernels.at(step.node));
    for (graph::ValueId in : node.inputs) bound.inputs.push_back(executable->ValuePointer(in));
    for (graph::ValueId out : node.outputs) bound.outputs.push_back(executable->ValuePointer(out));
    bound.workspace = step.workspace_bytes > 0 ? executable->arena_.get() + step.workspace_offset : nullptr;
    executable->steps_.push_back(std::move(bound));
  }
  return executable;
}

void CpuExecutable::SetInputs(const std::vector<const Tensor*>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    void* destination = ValuePointer(graph_.inputs()[i]);
    if (destination != nullptr && inputs[i]->nbytes() > 0) {
      std::memcpy(destination, inputs[i]->raw_data(), inputs[i]->nbytes());
    }
  }
}

Status CpuExecutable::RunStep(size_t step) {
  if (step >= steps_.size()) {
    return Error(ErrorCode::kInvalidArgument, "step {} out of range: the plan has {} steps", step,
                 steps_.size());
  }
  const BoundStep& bound = steps_[step];
  Status status = bound.kernel->Run({bound.inputs.data(), bound.outputs.data(), bound.workspace});
  if (!status.ok())
    return status.WithContext(graph_.nodes()[static_cast<size_t>(plan_.steps()[step].node)].Describe());
  return Status::Ok();
}

std::vector<Tensor> CpuExecutable::Outputs() {
  std::vector<Tensor> outputs;
  for (graph::ValueId out : graph_.outputs()) {
    const auto& spec = *graph_.value(out).spec;
    Tensor tensor(spec.dtype, spec.shape);
    const void* source = ValuePointer(out);
    if (source != nullptr && tensor.nbytes() > 0) std::memcpy(tensor.raw_data(), source, tensor.nbytes());
    outputs.push_back(std::move(tensor));
  }
  return outputs;
}

Result<std::vector<Tensor>> CpuExecutable::Run(const std::vector<const Tensor*>& inputs,
                                               std::vector<StepTiming>* timings) {
  SetInputs(inputs);
  for (size_t s = 0; s < steps_.size(); ++s) {
    const auto start = std::chrono::steady_clock::now();
    MISSILE_RETURN_IF_ERROR(RunStep(s));
    if (timings != nullptr) {
      const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
      timings->push_back({plan_.steps()[s].node, elapsed.count()});
    }
  }
  return Outputs();
}

}  // namespace missile::runtime
