// A model compiled for the GPU at fixed input shapes.
//
// Weights live in the session's ConstantStore, activations and kernel scratch in one device arena planned
// from buffer lifetimes, and the request's inputs and outputs pass through pinned host memory so every
// copy is asynchronous: Run() copies an input that is already page-locked (the HTTP server's request bodies,
// server/body_memory.h) straight from where it is, re-pointing the graph's copy node at it, and stages the
// others into its pinned input buffer first. Run() copies the outputs straight into pinned buffers that
// become the returned tensors (a small pool, reused once the caller has dropped them), so no host copy
// follows the device's; the step-wise calls a scheduler uses keep one output staging buffer and copy out of
// it (CollectOutputs). With a transfer route (BackendOptions::transfer_route: in the server, the tenant's
// PCIe transfer schedulers) the input and output copies go through it instead of onto the session's stream,
// and a captured CUDA graph holds the kernels only. A request runs either kernel by kernel or as one CUDA
// graph captured on first use (copies included) and replayed after; the step-wise Enqueue* calls are what the
// compute scheduler uses to release kernels one at a time into the stream (SM partition) it chooses.
#pragma once

#include <memory>
#include <vector>

#include "device/cuda/device_memory.h"
#include "device/cuda/stream.h"
#include "ops/kernel.h"
#include "runtime/backend.h"
#include "runtime/cuda/constant_store.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/executable.h"
#include "runtime/transfer_route.h"

namespace missile::runtime::cuda {

class CudaExecutable final : public Executable {
 public:
  static Result<std::unique_ptr<CudaExecutable>> Build(graph::Graph graph, const CudaContext& context,
                                                       ConstantStore& constants,
                                                       const BackendOptions& options);
  ~CudaExecutable() override;

  Result<std::vector<Tensor>> Run(const std::vector<const Tensor*>& inputs,
                                  std::vector<StepTiming>* timings = nullptr) override;

  // The request as separate pieces, for a scheduler. Stage* touch only host memory (and always copy: the
  // scheduler's inputs may be gone before their copies ran). Enqueue*Copies put
  // the copies on `launch.stream` directly, bypassing any transfer route; Transfer* honour it.
  void StageInputs(const std::vector<const Tensor*>& inputs);
  Status EnqueueInputCopies(const ops::cuda::LaunchContext& launch) const;
  // The staged inputs to the device before anything later on `launch.stream` runs: through the transfer
  // route when there is one (returning once they have landed), else EnqueueInputCopies.
  Status TransferInputs(const ops::cuda::LaunchContext& launch) const;
  // The outputs to the output staging once the work queued on `launch.stream` is done: through the route
  // (synchronising the stream first, returning once they have landed), else EnqueueOutputCopies (then
  // synchronise the stream before CollectOutputs).
  Status TransferOutputs(const ops::cuda::LaunchContext& launch) const;
  bool routes_transfers() const { return route_ != nullptr; }
  size_t step_count() const { return steps_.size(); }
  Status EnqueueStep(size_t step, const ops::cuda::LaunchContext& launch) const;
  Status EnqueueOutputCopies(const ops::cuda::LaunchContext& launch) const;
  std::vector<Tensor> CollectOutputs() const;  // after the output copies completed

  size_t arena_bytes() const { return arena_.size(); }
  // Whether Run() still reads page-locked inputs in place (false once the driver refused to re-point a
  // graph's copy node: every input is staged since).
  bool reads_pinned_inputs_in_place() const { return direct_inputs_; }
  // Run()'s inputs so far: read in place, staged, and graph copy nodes re-pointed.
  struct InputCopyStats {
    uint64_t read_in_place = 0;
    uint64_t staged = 0;
    uint64_t graph_repoints = 0;
  };
  const InputCopyStats& input_copy_stats() const { return input_copy_stats_; }

  // Forgets the captured CUDA graphs, so that the next request captures again: for when the stream's launch
  // attributes (the L2 access-policy window) changed after capture.
  void DropGraph();

  // Output buffers Run() keeps for reuse; beyond that it copies out of the staging buffer.
  static constexpr size_t kOutputPoolSize = 3;

 private:
  struct BoundStep {
    std::unique_ptr<ops::Kernel> kernel;
    std::vector<const void*> inputs;
    std::vector<void*> outputs;
    void* workspace = nullptr;
  };
  // One graph input or output: where it lives on the device and in its staging buffer.
  struct Transfer {
    const void* device = nullptr;
    size_t staging_offset = 0;
    size_t bytes = 0;
    graph::TensorSpec spec;
  };

  // Run()'s CUDA graph for one output slot, with what its input copy nodes read now.
  struct CapturedGraph {
    cudaGraph_t graph = nullptr;  // kept: the copy nodes are re-pointed through their nodes in it
    cudaGraphExec_t exec = nullptr;
    std::vector<cudaGraphNode_t> input_nodes;     // by input; null where no single node was found
    std::vector<const std::byte*> input_sources;  // by input
  };

  CudaExecutable() = default;
  std::byte* StagingOf(size_t input) const;
  void StageInput(size_t input, const Tensor& tensor);
  // Run()'s inputs: page-locked ones are read in place, the others staged.
  void BindInputs(const std::vector<const Tensor*>& inputs);
  // The kernels, with the copies before and after them (the outputs to `output_host`) unless a route carries
  // those.
  Status EnqueueRequest(const ops::cuda::LaunchContext& launch, std::byte* output_host) const;
  Status EnqueueOutputCopiesTo(const ops::cuda::LaunchContext& launch, std::byte* output_host) const;
  // Each transfer between the device and hosts[i] (by transfer) through the route.
  Status RouteCopies(pcie::Direction direction, const std::vector<Transfer>& transfers,
                     const std::vector<const std::byte*>& hosts) const;
  Status TransferOutputsTo(const ops::cuda::LaunchContext& launch, std::byte* output_host) const;
  // The graph of a request whose outputs land in `output_host`, captured on first use (one per slot).
  Result<CapturedGraph*> GraphFor(size_t slot, std::byte* output_host);
  std::vector<cudaGraphNode_t> FindInputCopyNodes(cudaGraph_t graph) const;
  // Makes the graph's input copies read this request's input_sources_.
  Status PointGraphInputs(CapturedGraph& captured);
  // Run() once its inputs are bound.
  Result<std::vector<Tensor>> RunBound(const std::vector<const Tensor*>& inputs,
                                       std::vector<StepTiming>* timings);
  // GraphFor with its inputs pointed; where the driver refuses, inputs are staged from then on.
  Result<cudaGraphExec_t> ReadyGraph(size_t slot, std::byte* output_host,
                                     const std::vector<const Tensor*>& inputs);
  Status RunWithTimings(std::vector<StepTiming>* timings, std::byte* output_host);
  // A pool slot whose buffer the caller no longer holds (allocated on first need), or kOutputPoolSize when
  // every slot is taken: then the staging buffer serves and CollectOutputs copies.
  Result<size_t> TakeOutputSlot();
  std::vector<Tensor> WrapOutputs(const std::shared_ptr<std::byte[]>& buffer) const;

  const CudaContext* context_ = nullptr;
  TransferRoute* route_ = nullptr;  // BackendOptions::transfer_route
  bool use_graph_ = false;
  device::cuda::DeviceBuffer arena_;
  device::cuda::PinnedBuffer input_staging_;
  device::cuda::PinnedBuffer output_staging_;
  size_t output_bytes_ = 0;
  std::vector<std::shared_ptr<std::byte[]>> output_pool_;  // pinned, each laid out as the staging buffer
  std::vector<const void*> constant_pointers_;             // by value id (nullptr for non-constants)
  std::vector<BoundStep> steps_;
  std::vector<Transfer> inputs_;
  std::vector<Transfer> outputs_;
  // Where each input's copy to the device reads from: its staging, or a page-locked input itself.
  std::vector<const std::byte*> input_sources_;
  bool direct_inputs_ = true;  // off once the driver refused to re-point a graph's copy
  InputCopyStats input_copy_stats_;
  // Run()'s CUDA graphs by output slot (the last entry: the staging buffer); empty until captured.
  std::vector<CapturedGraph> graphs_ = std::vector<CapturedGraph>(kOutputPoolSize + 1);
  std::vector<device::cuda::Event> step_events_;  // profiling: one before each step, one after the last
};

}  // namespace missile::runtime::cuda
