// A model loaded for serving: its session compiled for the shapes it serves, the kernel profile the compute
// scheduler plans its requests with, and what it occupies in device memory (charged to its tenant's VRAM
// quota by the repository).
//
// Where a request's tensors cross to the device depends on the backend. The CPU backend's "device memory" is
// host memory: inputs are copied into device-side buffers through the PCIe transfer scheduler (a memcpy
// engine), the kernels read them, outputs come back the same way. The CUDA executable stages its inputs and
// outputs itself (pinned buffers, asynchronous copies on its stream, inside its CUDA graph when it has one):
// that is the real PCIe transfer, so the server hands it the request's tensors directly and only counts the
// bytes in the PCIe metrics; a host-side memcpy in front of it would be a third copy for nothing.
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
#include "sched/kernel_profile.h"
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
  uint64_t weights_bytes = 0;  // constants the kernels read (after folding, fusion and fp16 lowering)
  uint64_t arena_bytes = 0;    // the activation arena laid out by the plan (workspaces included)
  // Device-side input and output buffers of one request, beside the arena (CPU backend). The CUDA
  // executable keeps its inputs and outputs in its arena and stages them in pinned host memory, which is
  // not VRAM: 0 there.
  uint64_t io_bytes = 0;
  uint64_t total() const { return weights_bytes + arena_bytes + io_bytes; }
  std::string Describe() const;  // "4.0 MiB (weights 3.8 MiB, arena 0.1 MiB, I/O 0.1 MiB)"
};

// How long each stage of one request took, in seconds.
struct ExecutionTimes {
  double to_device_s = 0;
  double compute_s = 0;
  double to_host_s = 0;
};

// The session options a model runs with: the server's backend (`base`) and the model's GPU settings.
runtime::SessionOptions SessionOptionsFor(const ModelConfig& config, const runtime::SessionOptions& base);

class ServedModel {
 public:
  // Imports the ONNX file and compiles it for its served shapes, with SessionOptionsFor(config, base).
  // Nothing is charged here.
  static Result<std::unique_ptr<ServedModel>> Load(const ModelConfig& config,
                                                   const runtime::SessionOptions& base);

  const std::string& name() const { return name_; }
  const std::string& tenant() const { return tenant_; }
  const std::vector<TensorSignature>& inputs() const { return inputs_; }
  const std::vector<TensorSignature>& outputs() const { return outputs_; }
  const ModelFootprint& footprint() const { return footprint_; }
  size_t kernel_count() const { return kernel_count_; }
  const std::string& backend() const { return session_->options().backend; }
  bool cuda_graph() const { return session_->options().cuda_graph; }
  // Unique among every model loaded by this process: a model unloaded and loaded again is a new instance.
  uint64_t instance_id() const { return instance_id_; }
  // One kernel per step of the plan, timed by the roofline model (sched/profile_synthesizer.h) until
  // measured profiles exist: what the compute scheduler's policies plan this model's requests with. Null for
  // a model without kernels (its outputs are its inputs or constants).
  const std::shared_ptr<const sched::ModelProfile>& profile() const { return profile_; }
  // The compiled executable the scheduler's device runs step by step. One request at a time: the scheduler
  // runs a tenant's requests one after another, and the model belongs to one tenant.
  runtime::Executable& executable() const { return *executable_; }
  // The session the model runs in: its backend holds the stream and the weights that device mechanisms (the
  // L2 set-aside) act on.
  const runtime::Session& session() const { return *session_; }

  // Checks a decoded request against what the model serves: every input present once with the right
  // datatype and shape, no unknown inputs, requested outputs that exist. kInvalidArgument naming the tensor.
  Status Validate(const InferRequest& request) const;

  // Runs one validated request: inputs to the device, the model, the requested outputs (all when none are
  // named) back to host tensors, in the model's output order. One request at a time per model (the
  // executable owns one arena): concurrent callers are serialized.
  Result<std::vector<NamedTensor>> Execute(const InferRequest& request, DeviceTransfers& transfers,
                                           pcie::TenantId tenant, ExecutionTimes* times);

  // The pieces of Execute for an executor that runs the kernels itself (the compute scheduler's device), on
  // a backend that does not stage its own copies (the CPU backend). The request's inputs copied host->device
  // through `transfers` as `tenant`, in the model's input order:
  Result<std::vector<Tensor>> CopyInputsToDevice(const InferRequest& request, DeviceTransfers& transfers,
                                                 pcie::TenantId tenant) const;
  // The wanted outputs of `device_outputs` (in the model's output order) copied device->host:
  Result<std::vector<NamedTensor>> CopyOutputsToHost(const InferRequest& request,
                                                     const std::vector<Tensor>& device_outputs,
                                                     DeviceTransfers& transfers, pcie::TenantId tenant) const;

 private:
  ServedModel() = default;
  bool WantsOutput(const InferRequest& request, const std::string& name) const;
  // The executable stages and copies its inputs and outputs on its own stream (the CUDA backend).
  bool StagesItsOwnCopies() const { return backend() == "cuda"; }

  std::string name_;
  std::string tenant_;
  std::unique_ptr<runtime::Session> session_;
  runtime::Executable* executable_ = nullptr;  // owned by session_
  std::shared_ptr<const sched::ModelProfile> profile_;
  std::vector<TensorSignature> inputs_;
  std::vector<TensorSignature> outputs_;
  ModelFootprint footprint_;
  size_t kernel_count_ = 0;
  uint64_t instance_id_ = 0;
  bool copies_routed_ = false;  // the session's copies go through the link's transfer scheduler

  std::mutex execute_mutex_;
};

}  // namespace missile::server
