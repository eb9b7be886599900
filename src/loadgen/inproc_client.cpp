#include "loadgen/inproc_client.h"

#include "loadgen/request_inputs.h"

namespace missile::loadgen {
namespace {

class InProcessClient final : public InferenceClient {
 public:
  explicit InProcessClient(std::shared_ptr<InProcessClientFactory::LoadedModel> model)
      : model_(std::move(model)) {}

  CallResult Infer() override {
    auto outputs = model_->model->RunEngine(model_->inputs);
    if (!outputs.ok()) return CallResult::Failure("engine", outputs.status().message());
    return {};
  }

 private:
  std::shared_ptr<InProcessClientFactory::LoadedModel> model_;
};

}  // namespace

InProcessClientFactory::InProcessClientFactory(server::ServerConfig config, uint64_t seed)
    : config_(std::move(config)), seed_(seed) {}

Status InProcessClientFactory::Prepare(const StreamSpec& stream) {
  if (models_.count(stream.model) != 0) return Status::Ok();
  const server::ModelConfig* model_config = config_.FindModel(stream.model);
  if (model_config == nullptr) {
    return Error(ErrorCode::kNotFound, "stream '{}': the configuration declares no model '{}'", stream.name,
                 stream.model);
  }
  MISSILE_ASSIGN_OR_RETURN(auto backend, runtime::ResolveBackend(config_.backend));
  MISSILE_RETURN_IF_ERROR(server::CheckModelsRunOn(config_, backend.backend));
  // The server's backend and the model's GPU settings (precision, CUDA graph, TF32), as the server loads it.
  runtime::SessionOptions options;
  options.backend = backend.backend;
  auto loaded = std::make_shared<LoadedModel>();
  MISSILE_ASSIGN_OR_RETURN(loaded->model, server::ServedModel::Load(*model_config, options));
  for (server::NamedTensor& input : MakeRequestInputs(loaded->model->inputs(), seed_)) {
    loaded->inputs.emplace(input.name, std::move(input.tensor));
  }
  models_.emplace(stream.model, std::move(loaded));
  return Status::Ok();
}

Result<std::unique_ptr<InferenceClient>> InProcessClientFactory::Connect(const StreamSpec& stream) {
  auto it = models_.find(stream.model);
  if (it == models_.end()) {
    return Error(ErrorCode::kFailedPrecondition, "stream '{}' was not prepared", stream.name);
  }
  return std::unique_ptr<InferenceClient>(new InProcessClient(it->second));
}

}  // namespace missile::loadgen
