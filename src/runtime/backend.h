// A backend turns an optimised graph into an Executable for its device, as an execution provider does in
// ONNX Runtime. The session owns one backend and asks it to compile once per input-shape set.
#pragma once

#include <memory>
#include <string>

#include "graph/graph.h"
#include "runtime/executable.h"

namespace missile::runtime {

class TransferRoute;

enum class Precision { kFp32, kFp16 };
Result<Precision> ParsePrecision(std::string_view name);
std::string_view PrecisionName(Precision precision);

struct BackendOptions {
  Precision precision = Precision::kFp32;
  // CUDA: run each request as one captured CUDA graph instead of launching kernel by kernel.
  bool cuda_graph = false;
  // CUDA: fp32 convolutions and GEMMs may use TF32 tensor cores (as PyTorch's allow_tf32).
  bool allow_tf32 = true;
  // CUDA: where the session's host<->device copies go (runtime/transfer_route.h): request inputs, outputs
  // and weight uploads. Null: cudaMemcpy(Async) on the session's own stream. Not owned; it must outlive the
  // backend. The CPU backend has no link to cross and ignores it.
  TransferRoute* transfer_route = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Takes a graph that went through the pass pipeline (all specs known).
  virtual Result<std::unique_ptr<Executable>> Compile(graph::Graph graph) = 0;
};

Result<std::unique_ptr<Backend>> MakeCpuBackend(const BackendOptions& options);
// Unavailable, with the reason, in a build without CUDA or on a machine without a GPU.
Result<std::unique_ptr<Backend>> MakeCudaBackend(const BackendOptions& options);

}  // namespace missile::runtime
