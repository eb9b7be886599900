#include "server/served_model.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>

#include "memory/vram_quota.h"
#include "sched/profile_synthesizer.h"
#include "server/oip_datatype.h"

namespace missile::server {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The shape each input is served at: the configured one (checked against the model's signature), else the
// model's own when it has no symbolic dimensions.
Result<runtime::NamedTensors> ServedInputs(const graph::Graph& model, const ModelConfig& config) {
  std::vector<std::string> names;
  for (graph::ValueId id : model.inputs()) names.push_back(model.value(id).name);
  for (const auto& [name, shape] : config.input_shapes) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Error(ErrorCode::kInvalidArgument,
                   "configured input '{}' is not an input of the model (inputs: {})", name,
                   fmt::join(names, ", "));
    }
  }
  runtime::NamedTensors inputs;
  for (size_t i = 0; i < names.size(); ++i) {
    const graph::InputSignature& signature = model.input_signatures()[i];
    Shape shape;
    if (auto it = config.input_shapes.find(names[i]); it != config.input_shapes.end()) {
      shape = it->second;
    } else {
      for (const graph::Dim& dim : signature.dims) {
        if (!dim.known()) {
          return Error(
              ErrorCode::kInvalidArgument,
              "input '{}' has symbolic dimensions {}: give the shape to serve in the model's \"inputs\"",
              names[i], signature.ShapeString());
        }
        shape.push_back(dim.value);
      }
    }
    inputs.emplace(names[i], Tensor(signature.dtype, shape));
  }
  // The engine's own check: dtypes, ranks, fixed dimensions and consistent symbols.
  MISSILE_RETURN_IF_ERROR(runtime::BindInputs(model, inputs).status());
  return inputs;
}

// Bytes of the constants the plan's kernels read: what a device backend uploads as weights.
uint64_t WeightBytes(const runtime::Executable& executable) {
  const graph::Graph& graph = executable.graph();
  std::set<graph::ValueId> counted;
  uint64_t bytes = 0;
  const auto count = [&](graph::ValueId value) {
    if (value == graph::kNoValue || !graph.value(value).constant || !counted.insert(value).second) return;
    bytes += graph.value(value).constant->nbytes();
  };
  for (const plan::Step& step : executable.plan().steps()) {
    for (graph::ValueId input : graph.nodes()[static_cast<size_t>(step.node)].inputs) count(input);
  }
  for (graph::ValueId output : graph.outputs()) count(output);
  return bytes;
}

}  // namespace

std::string ModelFootprint::Describe() const {
  return fmt::format("{} (weights {}, arena {}, I/O {})", memory::FormatBytes(total()),
                     memory::FormatBytes(weights_bytes), memory::FormatBytes(arena_bytes),
                     memory::FormatBytes(io_bytes));
}

runtime::SessionOptions SessionOptionsFor(const ModelConfig& config, const runtime::SessionOptions& base) {
  runtime::SessionOptions options = base;
  options.precision = config.gpu.precision;
  options.cuda_graph = config.gpu.cuda_graph;
  options.allow_tf32 = config.gpu.allow_tf32;
  return options;
}

Result<std::unique_ptr<ServedModel>> ServedModel::Load(const ModelConfig& config,
                                                       const runtime::SessionOptions& base) {
  static std::atomic<uint64_t> next_instance{1};
  std::unique_ptr<ServedModel> model(new ServedModel());
  model->instance_id_ = next_instance++;
  model->name_ = config.name;
  model->tenant_ = config.tenant;
  const runtime::SessionOptions options = SessionOptionsFor(config, base);
  model->copies_routed_ = options.transfer_route != nullptr;
  MISSILE_ASSIGN_OR_RETURN(model->session_, runtime::Session::Load(config.path.string(), options));
  const graph::Graph& graph = model->session_->model();
  MISSILE_ASSIGN_OR_RETURN(runtime::NamedTensors served_inputs, ServedInputs(graph, config));
  MISSILE_ASSIGN_OR_RETURN(model->executable_, model->session_->Prepare(served_inputs));
  const runtime::Executable& executable = *model->executable_;

  uint64_t io_bytes = 0;
  for (graph::ValueId id : graph.inputs()) {
    const Tensor& tensor = served_inputs.at(graph.value(id).name);
    model->inputs_.push_back({graph.value(id).name, tensor.dtype(), tensor.shape()});
    io_bytes += tensor.nbytes();
  }
  const graph::Graph& compiled = executable.graph();
  for (size_t i = 0; i < compiled.outputs().size(); ++i) {
    const graph::TensorSpec& spec = *compiled.value(compiled.outputs()[i]).spec;
    model->outputs_.push_back({graph.output_names()[i], spec.dtype, spec.shape});
    io_bytes += spec.nbytes();
  }
  if (model->StagesItsOwnCopies()) io_bytes = 0;  // inputs and outputs live in its arena
  model->footprint_ = {WeightBytes(executable), executable.plan().arena_bytes(), io_bytes};
  model->kernel_count_ = executable.plan().steps().size();

  if (model->kernel_count_ == 0)
    return model;  // nothing to schedule: its outputs are its inputs or constants
  sched::SynthesisOptions synthesis;
  synthesis.model = config.name;
  synthesis.precision = std::string(runtime::PrecisionName(options.precision));
  auto profile = sched::SynthesizeProfile(executable.graph(), executable.plan(), synthesis);
  if (!profile.ok()) return profile.status().WithContext("the kernel profile for the compute scheduler");
  model->profile_ = std::make_shared<const sched::ModelProfile>(std::move(profile).value());
  return model;
}

Status ServedModel::Validate(const InferRequest& request) const {
  std::vector<std::string> input_names;
  for (const auto& input : inputs_) input_names.push_back(input.name);
  for (const NamedTensor& given : request.inputs) {
    auto expected =
        std::find_if(inputs_.begin(), inputs_.end(), [&](auto& s) { return s.name == given.name; });
    if (expected == inputs_.end()) {
      return Error(ErrorCode::kInvalidArgument, "unknown input '{}': model '{}' has inputs {}", given.name,
                   name_, fmt::join(input_names, ", "));
    }
    if (given.tensor.dtype() != expected->dtype) {
      return Error(ErrorCode::kInvalidArgument, "input '{}': datatype {} does not match the model's {}",
                   given.name, OipDatatypeName(given.tensor.dtype()), OipDatatypeName(expected->dtype));
    }
    if (given.tensor.shape() != expected->shape) {
      return Error(ErrorCode::kInvalidArgument, "input '{}': shape {} does not match the served shape {}",
                   given.name, ShapeToString(given.tensor.shape()), ShapeToString(expected->shape));
    }
  }
  for (const auto& expected : inputs_) {
    const bool given = std::any_of(request.inputs.begin(), request.inputs.end(),
                                   [&](const NamedTensor& t) { return t.name == expected.name; });
    if (!given) {
      return Error(ErrorCode::kInvalidArgument, "missing input '{}': expected {} {}", expected.name,
                   OipDatatypeName(expected.dtype), ShapeToString(expected.shape));
    }
  }
  for (const RequestedOutput& output : request.outputs) {
    const bool known =
        std::any_of(outputs_.begin(), outputs_.end(), [&](auto& s) { return s.name == output.name; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& o : outputs_) names.push_back(o.name);
      return Error(ErrorCode::kInvalidArgument, "unknown output '{}': model '{}' has outputs {}", output.name,
                   name_, fmt::join(names, ", "));
    }
  }
  return Status::Ok();
}

bool ServedModel::WantsOutput(const InferRequest& request, const std::string& name) const {
  return request.outputs.empty() || std::any_of(request.outputs.begin(), request.outputs.end(),
                                                [&](const RequestedOutput& o) { return o.name == name; });
}

Result<std::vector<Tensor>> ServedModel::CopyInputsToDevice(const InferRequest& request,
                                                            DeviceTransfers& transfers,
                                                            pcie::TenantId tenant) const {
  std::vector<Tensor> device;
  std::vector<CopySpan> spans;
  device.reserve(inputs_.size());
  for (const TensorSignature& signature : inputs_) {
    auto given = std::find_if(request.inputs.begin(), request.inputs.end(),
                              [&](const NamedTensor& t) { return t.name == signature.name; });
    if (given == request.inputs.end()) {
      return Error(ErrorCode::kInvalidArgument, "missing input '{}'", signature.name);
    }
    device.emplace_back(signature.dtype, signature.shape);
    spans.push_back({given->tensor.raw_data(), device.back().raw_data(), device.back().nbytes()});
  }
  MISSILE_RETURN_IF_ERROR(transfers.Copy(pcie::Direction::kHostToDevice, tenant, spans));
  return device;
}

Result<std::vector<NamedTensor>> ServedModel::CopyOutputsToHost(const InferRequest& request,
                                                                const std::vector<Tensor>& device_outputs,
                                                                DeviceTransfers& transfers,
                                                                pcie::TenantId tenant) const {
  if (device_outputs.size() != outputs_.size()) {
    return Error(ErrorCode::kInternal, "model '{}' produced {} outputs, it has {}", name_,
                 device_outputs.size(), outputs_.size());
  }
  std::vector<NamedTensor> outputs;
  std::vector<CopySpan> spans;
  outputs.reserve(outputs_.size());
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (!WantsOutput(request, outputs_[i].name)) continue;
    const Tensor& device = device_outputs[i];
    outputs.push_back({outputs_[i].name, Tensor(device.dtype(), device.shape())});
    spans.push_back({device.raw_data(), outputs.back().tensor.raw_data(), device.nbytes()});
  }
  MISSILE_RETURN_IF_ERROR(transfers.Copy(pcie::Direction::kDeviceToHost, tenant, spans));
  return outputs;
}

Result<std::vector<NamedTensor>> ServedModel::Execute(const InferRequest& request, DeviceTransfers& transfers,
                                                      pcie::TenantId tenant, ExecutionTimes* times) {
  std::lock_guard lock(execute_mutex_);
  ExecutionTimes local;
  std::vector<NamedTensor> outputs;
  if (StagesItsOwnCopies()) {
    // The executable's own staged copies are the transfers; they run on its stream, inside compute_s.
    std::vector<const Tensor*> ordered;
    uint64_t input_bytes = 0;
    for (const TensorSignature& signature : inputs_) {
      auto given = std::find_if(request.inputs.begin(), request.inputs.end(),
                                [&](const NamedTensor& t) { return t.name == signature.name; });
      if (given == request.inputs.end()) {
        return Error(ErrorCode::kInvalidArgument, "missing input '{}'", signature.name);
      }
      ordered.push_back(&given->tensor);
      input_bytes += given->tensor.nbytes();
    }
    const auto start = Clock::now();
    MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> results, executable_->Run(ordered));
    local.compute_s = SecondsSince(start);
    uint64_t output_bytes = 0;
    for (size_t i = 0; i < outputs_.size() && i < results.size(); ++i) {
      output_bytes += results[i].nbytes();
      if (WantsOutput(request, outputs_[i].name))
        outputs.push_back({outputs_[i].name, std::move(results[i])});
    }
    // Routed copies went through the link's scheduler, which counted them (bytes and wait).
    if (!copies_routed_) {
      transfers.CountCopiedOnDevice(pcie::Direction::kHostToDevice, tenant, input_bytes);
      transfers.CountCopiedOnDevice(pcie::Direction::kDeviceToHost, tenant, output_bytes);
    }
  } else {
    auto start = Clock::now();
    MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> device_inputs,
                             CopyInputsToDevice(request, transfers, tenant));
    local.to_device_s = SecondsSince(start);

    start = Clock::now();
    std::vector<const Tensor*> ordered;
    for (const Tensor& tensor : device_inputs) ordered.push_back(&tensor);
    MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> device_outputs, executable_->Run(ordered));
    local.compute_s = SecondsSince(start);

    start = Clock::now();
    MISSILE_ASSIGN_OR_RETURN(outputs, CopyOutputsToHost(request, device_outputs, transfers, tenant));
    local.to_host_s = SecondsSince(start);
  }
  if (times != nullptr) *times = local;
  return outputs;
}

}  // namespace missile::server
