#include "runtime/session.h"

#include "device/gpu_info.h"
#include "graph/onnx_import.h"

namespace missile::runtime {

Result<BackendChoice> ResolveBackend(const std::string& requested) {
  if (requested == "cpu") return BackendChoice{"cpu", "requested"};
  if (requested != "cuda" && requested != "auto") {
    return Error(ErrorCode::kInvalidArgument, "unknown backend '{}' (cpu, cuda or auto)", requested);
  }
  if (!device::BuiltWithCuda()) {
    if (requested == "cuda") {
      return Error(ErrorCode::kUnavailable,
                   "this build of missile has no CUDA backend (it was built without CUDA); use "
                   "--backend cpu");
    }
    return BackendChoice{"cpu", "this build has no CUDA backend"};
  }
  auto gpus = device::QueryGpus();
  if (gpus.ok() && !gpus->empty()) return BackendChoice{"cuda", (*gpus)[0].name};
  const std::string why = gpus.ok() ? "no GPU found" : gpus.status().message();
  if (requested == "cuda") return Error(ErrorCode::kUnavailable, "--backend cuda: {}", why);
  return BackendChoice{"cpu", why};
}

Result<std::unique_ptr<Session>> Session::FromGraph(graph::Graph graph, SessionOptions options) {
  MISSILE_ASSIGN_OR_RETURN(BackendChoice choice, ResolveBackend(options.backend));
  options.backend = choice.backend;
  BackendOptions backend_options;
  backend_options.precision = options.precision;
  backend_options.cuda_graph = options.cuda_graph;
  backend_options.allow_tf32 = options.allow_tf32;
  backend_options.transfer_route = options.transfer_route;
  std::unique_ptr<Backend> backend;
  if (choice.backend == "cuda") {
    MISSILE_ASSIGN_OR_RETURN(backend, MakeCudaBackend(backend_options));
  } else {
    MISSILE_ASSIGN_OR_RETURN(backend, MakeCpuBackend(backend_options));
  }
  return std::unique_ptr<Session>(new Session(std::move(graph), std::move(options), std::move(backend)));
}

Result<std::unique_ptr<Session>> Session::Load(const std::string& model_path, SessionOptions options) {
  MISSILE_ASSIGN_OR_RETURN(graph::Graph graph, graph::ImportOnnxFile(model_path));
  return FromGraph(std::move(graph), std::move(options));
}

Result<Executable*> Session::PrepareLocked(const NamedTensors& inputs, std::vector<const Tensor*>* ordered) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<graph::TensorSpec> specs, BindInputs(model_, inputs));
  if (ordered != nullptr) {
    for (graph::ValueId id : model_.inputs()) ordered->push_back(&inputs.at(model_.value(id).name));
  }
  std::vector<Shape> key;
  for (const auto& spec : specs) key.push_back(spec.shape);
  auto it = compiled_.find(key);
  if (it != compiled_.end()) return it->second.get();

  graph::Graph graph = model_;
  MISSILE_RETURN_IF_ERROR(passes::RunPipeline(graph, specs, options_.pipeline));
  MISSILE_ASSIGN_OR_RETURN(auto executable, backend_->Compile(std::move(graph)));
  return compiled_.emplace(std::move(key), std::move(executable)).first->second.get();
}

Result<Executable*> Session::Prepare(const NamedTensors& inputs) {
  std::lock_guard lock(mutex_);
  return PrepareLocked(inputs, nullptr);
}

Result<NamedTensors> Session::Run(const NamedTensors& inputs, std::vector<StepTiming>* timings) {
  std::lock_guard lock(mutex_);
  std::vector<const Tensor*> ordered;
  MISSILE_ASSIGN_OR_RETURN(Executable * executable, PrepareLocked(inputs, &ordered));
  MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, executable->Run(ordered, timings));
  NamedTensors named;
  for (size_t i = 0; i < outputs.size(); ++i) named.emplace(model_.output_names()[i], std::move(outputs[i]));
  return named;
}

}  // namespace missile::runtime
