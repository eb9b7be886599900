#include "runtime/session.h"

#include "device/gpu_info.h"
#include "graph/onnx_import.h"

namespace missile::runtime {

Result<Precision> ParsePrecision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "fp16") return Precision::kFp16;
  return Error(ErrorCode::kInvalidArgument, "unknown precision '{}' (fp32 or fp16)", name);
}

Result<BackendChoice> ResolveBackend(const std::string& requested) {
  if (requested == "cpu") return BackendChoice{"cpu", "requested"};
  if (requested == "cuda") {
    return Error(ErrorCode::kUnavailable, "this build of missile has no CUDA backend yet; use --backend cpu");
  }
  if (requested == "auto") {
    // The CUDA backend is not part of this build yet: say what was found, so nobody mistakes CPU numbers for
    // GPU ones.
    auto gpus = device::QueryGpus();
    if (gpus.ok() && !gpus->empty()) {
      return BackendChoice{"cpu",
                           fmt::format("{} found, but this build has no CUDA backend yet", (*gpus)[0].name)};
    }
    return BackendChoice{"cpu", gpus.ok() ? "no GPU found" : gpus.status().message()};
  }
  return Error(ErrorCode::kInvalidArgument, "unknown backend '{}' (cpu, cuda or auto)", requested);
}

Result<std::unique_ptr<Session>> Session::FromGraph(graph::Graph graph, SessionOptions options) {
  MISSILE_ASSIGN_OR_RETURN(BackendChoice choice, ResolveBackend(options.backend));
  options.backend = choice.backend;
  if (options.backend == "cpu" && options.precision != Precision::kFp32) {
    return Error(ErrorCode::kUnimplemented,
                 "the cpu backend computes in fp32 only; fp16 needs --backend cuda");
  }
  return std::unique_ptr<Session>(new Session(std::move(graph), std::move(options)));
}

Result<std::unique_ptr<Session>> Session::Load(const std::string& model_path, SessionOptions options) {
  MISSILE_ASSIGN_OR_RETURN(graph::Graph graph, graph::ImportOnnxFile(model_path));
  return FromGraph(std::move(graph), std::move(options));
}

Result<CpuExecutable*> Session::PrepareLocked(const NamedTensors& inputs,
                                              std::vector<const Tensor*>* ordered) {
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
  MISSILE_ASSIGN_OR_RETURN(auto executable, CpuExecutable::Build(std::move(graph)));
  return compiled_.emplace(std::move(key), std::move(executable)).first->second.get();
}

Result<CpuExecutable*> Session::Prepare(const NamedTensors& inputs) {
  std::lock_guard lock(mutex_);
  return PrepareLocked(inputs, nullptr);
}

Result<NamedTensors> Session::Run(const NamedTensors& inputs, std::vector<StepTiming>* timings) {
  std::lock_guard lock(mutex_);
  std::vector<const Tensor*> ordered;
  MISSILE_ASSIGN_OR_RETURN(CpuExecutable * executable, PrepareLocked(inputs, &ordered));
  MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, executable->Run(ordered, timings));
  NamedTensors named;
  for (size_t i = 0; i < outputs.size(); ++i) named.emplace(model_.output_names()[i], std::move(outputs[i]));
  return named;
}

}  // namespace missile::runtime
