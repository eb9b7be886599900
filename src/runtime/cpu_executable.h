// A model compiled for the CPU backend at fixed input shapes: kernels built, arena laid out, every pointer
// each kernel receives resolved ahead, so running it is a loop of kernel calls.
#pragma once

#include <memory>
#include <vector>

#include "ops/kernel.h"
#include "runtime/executable.h"
#include "runtime/input_binding.h"

namespace missile::runtime {

class CpuExecutable final : public Executable {
 public:
  // Takes a graph that went through the pass pipeline (all specs known).
  static Result<std::unique_ptr<CpuExecutable>> Build(graph::Graph graph);

  Result<std::vector<Tensor>> Run(const std::vector<const Tensor*>& inputs,
                                  std::vector<StepTiming>* timings = nullptr) override;

  // Step by step, for a scheduler that releases kernels one at a time: SetInputs, RunStep(0) ..
  // RunStep(step_count() - 1) in order, then Outputs(). Run() is exactly this sequence. One request at a
  // time.
  size_t step_count() const { return steps_.size(); }
  void SetInputs(const std::vector<const Tensor*>& inputs);
  Status RunStep(size_t step);
  std::vector<Tensor> Outputs();

 private:
  struct BoundStep {
    std::unique_ptr<ops::Kernel> kernel;
    std::vector<const void*> inputs;
    std::vector<void*> outputs;
    void* workspace = nullptr;
  };

  CpuExecutable() = default;
  void* ValuePointer(graph::ValueId value);

  std::shared_ptr<std::byte[]> arena_;
  std::vector<BoundStep> steps_;
};

}  // namespace missile::runtime
