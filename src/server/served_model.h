// A model loaded for serving: its session compiled for the shapes it serves, its device-side input buffers,
// and what it occupies in device memory (charged to its tenant's VRAM quota by the repository).
//
// Each served model runs at one fixed set of input shapes (the model's own, or those its configuration gives
// for symbolic dimensions). That keeps its memory fixed from load to unload: a request can never make it
// compile a second executable and grow past what its tenant was charged.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pcie/transfer_types.h"
#include "runtime/session.h"
#include "server/device_transfers.h"
#include "server/infer_codec.h"
#include "server/server_config.h"

namespace missile::server {

struct TensorSignature {
  std::string name;
  DataType dtype = DataType::kFloat32;
  Shape shape;
};

// Device bytes the model holds while loaded. On the CPU backend these are host bytes standing in for device
// bytes: the same quantities a GPU backend allocates in VRAM.
struct ModelFootprint {
  uint64_t weights_bytes = 0;  // constants the kernels read (after folding and fusion)
  uint64_t arena_bytes = 0;    // the activation arena laid out by the plan (workspaces included)
  uint64_t io_bytes = 0;       // device-side input and output buffers of one request
  uint64_t total() const { return weights_bytes + arena_bytes + io_bytes; }
  std::string Describe() const;  // "4.0 MiB (weights 3.8 MiB, arena 0.1 MiB, I/O 0.1 MiB)"
};

// How long each stage of one request took, in seconds.
struct ExecutionTimes {
  double to_device_s = 0;
  double compute_s = 0;
  double to_host_s = 0;
};

class ServedModel {
 public:
  // Imports the ONNX file and compiles it for its served shapes. Nothing is charged here.
  static Result<std::unique_ptr<ServedModel>> Load(const ModelConfig& config,
                                                   const runtime::SessionOptions& options);

  const std::string& name() const { return name_; }
  const std::string& tenant() const { return tenant_; }
  const std::vector<TensorSignature>& inputs() const { return inputs_; }
  const std::vector<TensorSignature>& outputs() const { return outputs_; }
  const ModelFootprint& footprint() const { return footprint_; }
  size_t kernel_count() const { return kernel_count_; }

  // Checks a decoded request against what the model serves: every input present once with the right
  // datatype and shape, no unknown inputs, requested outputs that exist. kInvalidArgument naming the tensor.
  Status Validate(const InferRequest& request) const;

  // Runs one validated request: inputs to the device buffers, the model, the requested outputs (all when none
  // are named) back to host tensors, in the model's output order. One request at a time per model (the device
  // buffers are the model's): concurrent callers are serialized.
  Result<std::vector<NamedTensor>> Execute(const InferRequest& request, DeviceTransfers& transfers,
                                           pcie::TenantId tenant, ExecutionTimes* times);

  // The engine alone, on the caller's thread: no queue, no transfers, inputs passed as they are. What
  // in-process execution costs, for measuring what serving adds (`missile bench --mode inproc`).
  Result<runtime::NamedTensors> RunEngine(const runtime::NamedTensors& inputs) {
    return session_->Run(inputs);
  }

 private:
  ServedModel() = default;

  std::string name_;
  std::string tenant_;
  std::unique_ptr<runtime::Session> session_;
  std::vector<TensorSignature> inputs_;
  std::vector<TensorSignature> outputs_;
  ModelFootprint footprint_;
  size_t kernel_count_ = 0;

  std::mutex execute_mutex_;
  runtime::NamedTensors device_inputs_;  // the session reads its inputs from these buffers
};

}  // namespace missile::server
