// A loaded model ready to serve inference: the imported graph, the backend it runs on, and one compiled
// executable per input shape set.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "passes/pipeline.h"
#include "runtime/backend.h"
#include "runtime/executable.h"
#include "runtime/input_binding.h"

namespace missile::runtime {

struct SessionOptions {
  std::string backend = "cpu";  // "cpu", "cuda" or "auto" (cuda when built in and a GPU is present)
  Precision precision = Precision::kFp32;
  bool cuda_graph = false;
  bool allow_tf32 = true;
  // BackendOptions::transfer_route: the route every host<->device copy of the session takes (CUDA).
  TransferRoute* transfer_route = nullptr;
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
  Result<Executable*> Prepare(const NamedTensors& inputs);

  const graph::Graph& model() const { return model_; }
  const SessionOptions& options() const { return options_; }
  // The backend the session runs on, for device mechanisms that act on the session's stream and memory.
  Backend& backend() const { return *backend_; }

 private:
  Session(graph::Graph model, SessionOptions options, std::unique_ptr<Backend> backend)
      : model_(std::move(model)), options_(std::move(options)), backend_(std::move(backend)) {}
  Result<Executable*> PrepareLocked(const NamedTensors& inputs, std::vector<const Tensor*>* ordered);

  graph::Graph model_;
  SessionOptions options_;
  std::unique_ptr<Backend> backend_;
  std::mutex mutex_;  // one run at a time per session: an executable owns one arena
  std::map<std::vector<Shape>, std::unique_ptr<Executable>> compiled_;
};

}  // namespace missile::runtime
