// A loaded model ready to serve inference: the imported graph plus one compiled executable per input shape
// set.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "passes/pipeline.h"
#include "runtime/cpu_executable.h"
#include "runtime/input_binding.h"

namespace missile::runtime {

enum class Precision { kFp32, kFp16 };
Result<Precision> ParsePrecision(std::string_view name);

struct SessionOptions {
  std::string backend = "cpu";  // "cpu", "cuda" or "auto" (cuda when built in and a GPU is present)
  Precision precision = Precision::kFp32;
  passes::PipelineOptions pipeline;
};

// Which backend "auto" means on this machine and build, and why (for the CLI to print).
struct BackendChoice {
  std::string backend;
  std::string reason;
};
Result<BackendChoice> ResolveBackend(const std::string& requested);

class Session {
 public:
  static Result<std::unique_ptr<Session>> Load(const std::string& model_path, SessionOptions options = {});
  static Result<std::unique_ptr<Session>> FromGraph(graph::Graph graph, SessionOptions options = {});

  // Validates the inputs, compiles for their shapes on first use, runs; outputs keyed by the model's names.
  Result<NamedTensors> Run(const NamedTensors& inputs, std::vector<StepTiming>* timings = nullptr);
  // The executable for these inputs' shapes (compiled on first use), for introspection and benchmarks.
  Result<CpuExecutable*> Prepare(const NamedTensors& inputs);

  const graph::Graph& model() const { return model_; }
  const SessionOptions& options() const { return options_; }

 private:
  Session(graph::Graph model, SessionOptions options)
      : model_(std::move(model)), options_(std::move(options)) {}
  Result<CpuExecutable*> PrepareLocked(const NamedTensors& inputs, std::vector<const Tensor*>* ordered);

  graph::Graph model_;
  SessionOptions options_;
  std::mutex mutex_;  // one run at a time per session: an executable owns one arena
  std::map<std::vector<Shape>, std::unique_ptr<CpuExecutable>> compiled_;
};

}  // namespace missile::runtime
