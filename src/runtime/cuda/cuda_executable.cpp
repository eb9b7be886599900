#include "runtime/cuda/cuda_executable.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/parallel.h"
#include "device/cuda/access_policy.h"
#include "device/cuda/cuda_status.h"
#include "ops/cuda/cuda_kernels.h"

namespace missile::runtime::cuda {
namespace {

constexpr size_t kStagingAlignment = 256;

size_t AlignUp(size_t bytes) {
  return (bytes + kStagingAlignment - 1) / kStagingAlignment * kStagingAlignment;
}

// memcpy, spread over the cores for a large tensor: one core copies a batch-32 image input (19 MB) in a few
// milliseconds, as long as the GPU then takes for the whole request.
void CopyHostBytes(void* to, const void* from, size_t bytes) {
  constexpr size_t kChunk = size_t{1} << 20;
  const int64_t chunks = static_cast<int64_t>((bytes + kChunk - 1) / kChunk);
  ParallelFor(chunks, 2, [&](int64_t begin, int64_t end) {
    const size_t first = static_cast<size_t>(begin) * kChunk;
    const size_t last = std::min(bytes, static_cast<size_t>(end) * kChunk);
    std::memcpy(static_cast<std::byte*>(to) + first, static_cast<const std::byte*>(from) + first,
                last - first);
  });
}

}  // namespace

CudaExecutable::~CudaExecutable() {
  DropGraph();
}

void CudaExecutable::DropGraph() {
  for (CapturedGraph& captured : graphs_) {
    if (captured.exec != nullptr) cudaGraphExecDestroy(captured.exec);
    if (captured.graph != nullptr) cudaGraphDestroy(captured.graph);
    captured = CapturedGraph();
  }
}

Result<std::unique_ptr<CudaExecutable>> CudaExecutable::Build(graph::Graph graph, const CudaContext& context,
                                                              ConstantStore& constants,
                                                              const BackendOptions& options) {
  std::unique_ptr<CudaExecutable> executable(new CudaExecutable());
  executable->context_ = &context;
  executable->route_ = options.transfer_route;
  executable->use_graph_ = options.cuda_graph;
  executable->graph_ = std::move(graph);
  const graph::Graph& g = executable->graph_;

  const ops::cuda::BuildContext build{&context.launch(), options.allow_tf32};
  std::unordered_map<graph::NodeId, std::unique_ptr<ops::Kernel>> kernels;
  for (size_t n = 0; n < g.nodes().size(); ++n) {
    const graph::Node& node = g.nodes()[n];
    if (plan::IsAliasingView(g, node)) continue;
    auto kernel = ops::cuda::CreateKernel(ops::NodeContext(g, node), build);
    if (!kernel.ok()) return kernel.status().WithContext(node.Describe());
    kernels.emplace(static_cast<graph::NodeId>(n), std::move(kernel).value());
  }
  executable->plan_ =
      plan::ExecutionPlan::Build(g, [&](graph::NodeId node) { return kernels.at(node)->workspace_bytes(); });
  MISSILE_ASSIGN_OR_RETURN(executable->arena_,
                           device::cuda::DeviceBuffer::Allocate(executable->plan_.arena_bytes()));

  executable->constant_pointers_.assign(g.value_count(), nullptr);
  for (size_t v = 0; v < g.value_count(); ++v) {
    const graph::Value& value = g.value(static_cast<graph::ValueId>(v));
    if (executable->plan_.location(static_cast<graph::ValueId>(v)).kind !=
        plan::ValueLocation::Kind::kConstant) {
      continue;
    }
    MISSILE_ASSIGN_OR_RETURN(executable->constant_pointers_[v], constants.DevicePointer(*value.constant));
  }
  auto pointer = [&](graph::ValueId value) -> void* {
    if (value == graph::kNoValue) return nullptr;
    const plan::ValueLocation& location = executable->plan_.location(value);
    switch (location.kind) {
      case plan::ValueLocation::Kind::kArena:
        return executable->arena_.bytes() + location.offset;
      case plan::ValueLocation::Kind::kConstant:
        return const_cast<void*>(executable->constant_pointers_[static_cast<size_t>(value)]);
      case plan::ValueLocation::Kind::kNone:
        return nullptr;
    }
    return nullptr;
  };

  for (const plan::Step& step : executable->plan_.steps()) {
    const graph::Node& node = g.nodes()[static_cast<size_t>(step.node)];
    BoundStep bound;
    bound.kernel = std::move(kernels.at(step.node));
    for (graph::ValueId in : node.inputs) bound.inputs.push_back(pointer(in));
    for (graph::ValueId out : node.outputs) bound.outputs.push_back(pointer(out));
    bound.workspace = step.workspace_bytes > 0 ? executable->arena_.bytes() + step.workspace_offset : nullptr;
    executable->steps_.push_back(std::move(bound));
  }

  size_t input_bytes = 0;
  for (graph::ValueId in : g.inputs()) {
    const graph::TensorSpec& spec = *g.value(in).spec;
    executable->inputs_.push_back({pointer(in), input_bytes, spec.nbytes(), spec});
    input_bytes += AlignUp(spec.nbytes());
  }
  size_t output_bytes = 0;
  for (graph::ValueId out : g.outputs()) {
    const graph::TensorSpec& spec = *g.value(out).spec;
    executable->outputs_.push_back({pointer(out), output_bytes, spec.nbytes(), spec});
    output_bytes += AlignUp(spec.nbytes());
  }
  MISSILE_ASSIGN_OR_RETURN(executable->input_staging_, device::cuda::PinnedBuffer::Allocate(input_bytes));
  MISSILE_ASSIGN_OR_RETURN(executable->output_staging_, device::cuda::PinnedBuffer::Allocate(output_bytes));
  executable->output_bytes_ = output_bytes;
  for (const Transfer& input : executable->inputs_) {
    executable->input_sources_.push_back(executable->input_staging_.bytes() + input.staging_offset);
  }
  // Kernel builds ran trial launches on the context's stream: let them finish before the first request.
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(context.stream()));
  return executable;
}

std::byte* CudaExecutable::StagingOf(size_t input) const {
  return input_staging_.bytes() + inputs_[input].staging_offset;
}

void CudaExecutable::StageInput(size_t input, const Tensor& tensor) {
  if (inputs_[input].bytes > 0) CopyHostBytes(StagingOf(input), tensor.raw_data(), inputs_[input].bytes);
  input_sources_[input] = StagingOf(input);
}

void CudaExecutable::StageInputs(const std::vector<const Tensor*>& inputs) {
  for (size_t i = 0; i < inputs_.size(); ++i) StageInput(i, *inputs[i]);
}

void CudaExecutable::BindInputs(const std::vector<const Tensor*>& inputs) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const std::byte* bytes = static_cast<const std::byte*>(inputs[i]->raw_data());
    if (direct_inputs_ && device::cuda::PinnedMemory::Holds(bytes, inputs_[i].bytes)) {
      input_sources_[i] = bytes;
      ++input_copy_stats_.read_in_place;
    } else {
      StageInput(i, *inputs[i]);
      ++input_copy_stats_.staged;
    }
  }
}

Status CudaExecutable::EnqueueInputCopies(const ops::cuda::LaunchContext& launch) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Transfer& input = inputs_[i];
    if (input.bytes == 0 || input.device == nullptr) continue;
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(const_cast<void*>(input.device), input_sources_[i],
                                                 input.bytes, cudaMemcpyHostToDevice, launch.stream));
  }
  return Status::Ok();
}

Status CudaExecutable::RouteCopies(pcie::Direction direction, const std::vector<Transfer>& transfers,
                                   const std::vector<const std::byte*>& hosts) const {
  const bool to_device = direction == pcie::Direction::kHostToDevice;
  std::vector<HostDeviceCopy> copies;
  copies.reserve(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) {
    const Transfer& transfer = transfers[i];
    if (transfer.bytes == 0 || transfer.device == nullptr) continue;
    std::byte* host = const_cast<std::byte*>(hosts[i]);
    void* device = const_cast<void*>(transfer.device);
    // Staging buffers and direct inputs are pinned: the route copies them without staging of its own.
    copies.push_back(to_device ? HostDeviceCopy{host, device, transfer.bytes, false}
                               : HostDeviceCopy{device, host, transfer.bytes, false});
  }
  if (copies.empty()) return Status::Ok();
  return route_->Copy(direction, copies);
}

Status CudaExecutable::TransferInputs(const ops::cuda::LaunchContext& launch) const {
  if (route_ == nullptr) return EnqueueInputCopies(launch);
  // The previous request's kernels may still read the input buffers this overwrites.
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(launch.stream));
  return RouteCopies(pcie::Direction::kHostToDevice, inputs_, input_sources_);
}

Status CudaExecutable::TransferOutputs(const ops::cuda::LaunchContext& launch) const {
  return TransferOutputsTo(launch, output_staging_.bytes());
}

Status CudaExecutable::TransferOutputsTo(const ops::cuda::LaunchContext& launch,
                                         std::byte* output_host) const {
  if (route_ == nullptr) return EnqueueOutputCopiesTo(launch, output_host);
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(launch.stream));
  std::vector<const std::byte*> hosts;
  for (const Transfer& output : outputs_) hosts.push_back(output_host + output.staging_offset);
  return RouteCopies(pcie::Direction::kDeviceToHost, outputs_, hosts);
}

Status CudaExecutable::EnqueueStep(size_t step, const ops::cuda::LaunchContext& launch) const {
  const BoundStep& bound = steps_[step];
  ops::KernelArgs args{bound.inputs.data(), bound.outputs.data(), bound.workspace, &launch};
  Status status = bound.kernel->Run(args);
  if (!status.ok()) {
    return status.WithContext(graph_.nodes()[static_cast<size_t>(plan_.steps()[step].node)].Describe());
  }
  return Status::Ok();
}

Status CudaExecutable::EnqueueOutputCopies(const ops::cuda::LaunchContext& launch) const {
  return EnqueueOutputCopiesTo(launch, output_staging_.bytes());
}

Status CudaExecutable::EnqueueOutputCopiesTo(const ops::cuda::LaunchContext& launch,
                                             std::byte* output_host) const {
  for (const Transfer& output : outputs_) {
    if (output.bytes == 0 || output.device == nullptr) continue;
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(output_host + output.staging_offset, output.device,
                                                 output.bytes, cudaMemcpyDeviceToHost, launch.stream));
  }
  return Status::Ok();
}

std::vector<Tensor> CudaExecutable::CollectOutputs() const {
  std::vector<Tensor> tensors;
  for (const Transfer& output : outputs_) {
    // Not zero-filled first: every byte is copied over.
    Tensor tensor =
        Tensor::Wrap(output.spec.dtype, output.spec.shape, AllocateUninitializedHostBytes(output.bytes));
    if (output.bytes > 0)
      CopyHostBytes(tensor.raw_data(), output_staging_.bytes() + output.staging_offset, output.bytes);
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

Result<size_t> CudaExecutable::TakeOutputSlot() {
  if (output_bytes_ == 0) return kOutputPoolSize;
  for (size_t slot = 0; slot < output_pool_.size(); ++slot) {
    // Only the pool holds it: the tensors handed out over it are gone, and no one can take a new reference.
    if (output_pool_[slot].use_count() == 1) return slot;
  }
  if (output_pool_.size() == kOutputPoolSize) return kOutputPoolSize;
  void* pinned = nullptr;
  MISSILE_RETURN_IF_ERROR(device::cuda::PinnedMemory::Allocate(&pinned, output_bytes_));
  output_pool_.emplace_back(static_cast<std::byte*>(pinned),
                            [](std::byte* p) { device::cuda::PinnedMemory::Free(p); });
  return output_pool_.size() - 1;
}

std::vector<Tensor> CudaExecutable::WrapOutputs(const std::shared_ptr<std::byte[]>& buffer) const {
  std::vector<Tensor> tensors;
  for (const Transfer& output : outputs_) {
    // Aliasing pointers: each output keeps the whole buffer alive, and the pool sees it taken until all go.
    tensors.push_back(
        Tensor::Wrap(output.spec.dtype, output.spec.shape,
                     std::shared_ptr<std::byte[]>(buffer, buffer.get() + output.staging_offset)));
  }
  return tensors;
}

Status CudaExecutable::EnqueueRequest(const ops::cuda::LaunchContext& launch, std::byte* output_host) const {
  if (route_ == nullptr) MISSILE_RETURN_IF_ERROR(EnqueueInputCopies(launch));
  for (size_t s = 0; s < steps_.size(); ++s) MISSILE_RETURN_IF_ERROR(EnqueueStep(s, launch));
  return route_ == nullptr ? EnqueueOutputCopiesTo(launch, output_host) : Status::Ok();
}

Result<CudaExecutable::CapturedGraph*> CudaExecutable::GraphFor(size_t slot, std::byte* output_host) {
  CapturedGraph& captured = graphs_[slot];
  if (captured.exec != nullptr) return &captured;
  const cudaStream_t stream = context_->stream();
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  Status enqueued = EnqueueRequest(context_->launch(), output_host);
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
  if (!enqueued.ok()) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    return enqueued.WithContext("capturing the request as a CUDA graph");
  }
  MISSILE_CUDA_RETURN_IF_ERROR(ended);
  // Kernel nodes carry their own launch attributes: give them the stream's L2 window, as launching kernel by
  // kernel would.
  if (Status copied = device::cuda::CopyStreamWindowToGraph(stream, graph); !copied.ok()) {
    cudaGraphDestroy(graph);
    return copied.WithContext("giving the captured request the stream's L2 access window");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  if (instantiated != cudaSuccess) cudaGraphDestroy(graph);
  MISSILE_CUDA_RETURN_IF_ERROR(instantiated);
  captured.graph = graph;
  captured.exec = exec;
  captured.input_nodes =
      route_ == nullptr ? FindInputCopyNodes(graph) : std::vector<cudaGraphNode_t>(inputs_.size(), nullptr);
  captured.input_sources = input_sources_;
  return &captured;
}

std::vector<cudaGraphNode_t> CudaExecutable::FindInputCopyNodes(cudaGraph_t graph) const {
  std::vector<cudaGraphNode_t> found(inputs_.size(), nullptr);
  size_t count = 0;
  if (cudaGraphGetNodes(graph, nullptr, &count) != cudaSuccess) {
    (void)cudaGetLastError();
    return found;
  }
  std::vector<cudaGraphNode_t> nodes(count);
  if (cudaGraphGetNodes(graph, nodes.data(), &count) != cudaSuccess) {
    (void)cudaGetLastError();
    return found;
  }
  std::vector<int> matches(inputs_.size(), 0);
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type{};
    if (cudaGraphNodeGetType(node, &type) != cudaSuccess || type != cudaGraphNodeTypeMemcpy) continue;
    cudaMemcpy3DParms params{};
    if (cudaGraphMemcpyNodeGetParams(node, &params) != cudaSuccess) continue;
    const std::byte* destination = static_cast<const std::byte*>(params.dstPtr.ptr) + params.dstPos.x;
    const std::byte* source = static_cast<const std::byte*>(params.srcPtr.ptr) + params.srcPos.x;
    // An input's own copy: from where it was read at capture to where it lives on the device (an operator's
    // copy may write there too, into memory the arena reuses, but not from the host).
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].device == nullptr || inputs_[i].device != destination || input_sources_[i] != source)
        continue;
      found[i] = node;
      ++matches[i];
    }
  }
  (void)cudaGetLastError();
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (matches[i] != 1) found[i] = nullptr;  // ambiguous: never re-pointed
  }
  return found;
}

Status CudaExecutable::PointGraphInputs(CapturedGraph& captured) {
  if (route_ != nullptr) return Status::Ok();  // the graph holds the kernels only
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Transfer& input = inputs_[i];
    if (input.bytes == 0 || input.device == nullptr || captured.input_sources[i] == input_sources_[i])
      continue;
    if (captured.input_nodes[i] == nullptr) {
      return Error(ErrorCode::kUnavailable, "input {}'s copy is not a node found in the captured graph", i);
    }
    const cudaError_t pointed = cudaGraphExecMemcpyNodeSetParams1D(
        captured.exec, captured.input_nodes[i], const_cast<void*>(input.device), input_sources_[i],
        input.bytes, cudaMemcpyHostToDevice);
    if (pointed != cudaSuccess) {
      (void)cudaGetLastError();
      return Error(ErrorCode::kUnavailable, "re-pointing input {}'s copy in the graph: {}", i,
                   cudaGetErrorString(pointed));
    }
    captured.input_sources[i] = input_sources_[i];
    ++input_copy_stats_.graph_repoints;
  }
  return Status::Ok();
}

Result<cudaGraphExec_t> CudaExecutable::ReadyGraph(size_t slot, std::byte* output_host,
                                                   const std::vector<const Tensor*>& inputs) {
  MISSILE_ASSIGN_OR_RETURN(CapturedGraph * captured, GraphFor(slot, output_host));
  if (Status pointed = PointGraphInputs(*captured); !pointed.ok()) {
    // The graphs go back to reading the staging buffer, for good: correct on any driver, a host copy slower.
    spdlog::warn("CUDA graph: inputs are staged from now on ({})", pointed.message());
    direct_inputs_ = false;
    DropGraph();
    StageInputs(inputs);
    MISSILE_ASSIGN_OR_RETURN(captured, GraphFor(slot, output_host));
  }
  return captured->exec;
}

Status CudaExecutable::RunWithTimings(std::vector<StepTiming>* timings, std::byte* output_host) {
  const ops::cuda::LaunchContext& launch = context_->launch();
  if (step_events_.size() != steps_.size() + 1) {
    step_events_.clear();
    for (size_t e = 0; e <= steps_.size(); ++e) {
      MISSILE_ASSIGN_OR_RETURN(auto event, device::cuda::Event::Create(/*timing=*/true));
      step_events_.push_back(std::move(event));
    }
  }
  if (route_ == nullptr) MISSILE_RETURN_IF_ERROR(EnqueueInputCopies(launch));  // Run() routed them
  for (size_t s = 0; s < steps_.size(); ++s) {
    MISSILE_RETURN_IF_ERROR(step_events_[s].Record(launch.stream));
    MISSILE_RETURN_IF_ERROR(EnqueueStep(s, launch));
  }
  MISSILE_RETURN_IF_ERROR(step_events_.back().Record(launch.stream));
  MISSILE_RETURN_IF_ERROR(TransferOutputsTo(launch, output_host));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(launch.stream));
  for (size_t s = 0; s < steps_.size(); ++s) {
    MISSILE_ASSIGN_OR_RETURN(float ms, device::cuda::Event::ElapsedMs(step_events_[s], step_events_[s + 1]));
    timings->push_back({plan_.steps()[s].node, ms});
  }
  return Status::Ok();
}

Result<std::vector<Tensor>> CudaExecutable::Run(const std::vector<const Tensor*>& inputs,
                                                std::vector<StepTiming>* timings) {
  // A page-locked input is read in place until the stream is synchronised, which happens before this returns:
  // on an error too, so that no copy still reads the caller's memory once it has it back.
  BindInputs(inputs);
  Result<std::vector<Tensor>> outputs = RunBound(inputs, timings);
  if (!outputs.ok()) (void)cudaStreamSynchronize(context_->stream());
  // Outside Run() the input copies read the staging buffer: the scheduler's step-wise calls rely on it.
  for (size_t i = 0; i < inputs_.size(); ++i) input_sources_[i] = StagingOf(i);
  return outputs;
}

Result<std::vector<Tensor>> CudaExecutable::RunBound(const std::vector<const Tensor*>& inputs,
                                                     std::vector<StepTiming>* timings) {
  MISSILE_ASSIGN_OR_RETURN(const size_t slot, TakeOutputSlot());
  std::byte* output_host = slot < output_pool_.size() ? output_pool_[slot].get() : output_staging_.bytes();
  // With a route, the inputs land before the kernels are queued and the outputs leave after they finished;
  // without, the copies ride on the stream (or in the graph) with the kernels.
  if (route_ != nullptr) MISSILE_RETURN_IF_ERROR(TransferInputs(context_->launch()));
  if (timings != nullptr) {
    // Per-kernel times need events between the kernels, so a profiled request never replays the graph.
    MISSILE_RETURN_IF_ERROR(RunWithTimings(timings, output_host));
  } else {
    if (use_graph_) {
      MISSILE_ASSIGN_OR_RETURN(cudaGraphExec_t exec, ReadyGraph(slot, output_host, inputs));
      MISSILE_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(exec, context_->stream()));
    } else {
      MISSILE_RETURN_IF_ERROR(EnqueueRequest(context_->launch(), output_host));
    }
    if (route_ != nullptr) MISSILE_RETURN_IF_ERROR(TransferOutputsTo(context_->launch(), output_host));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(context_->stream()));
  }
  if (slot < output_pool_.size()) return WrapOutputs(output_pool_[slot]);
  return CollectOutputs();
}

}  // namespace missile::runtime::cuda
