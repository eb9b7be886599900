#include "loadgen/inproc_client.h"

#include "loadgen/request_inputs.h"

namespace missile::loadgen {
namespace {

class InProcessClient final : public InferenceClient {
 public:
  InProcessClient(server::ServingEngine& engine, std::shared_ptr<InProcessClientFactory::LoadedModel> model)
      : engine_(engine), model_(std::move(model)) {}

  CallResult Infer() override {
    // A copy of the request shares its input tensors' bytes: what the server hands the engine after decoding.
    auto outcome = engine_.Run(model_->lease.model(), model_->request);
    if (!outcome.ok()) return CallResult::Failure("engine", outcome.status().message());
    if (!outcome->outputs.ok()) return CallResult::Failure("engine", outcome->outputs.status().message());
    return {};
  }

 private:
  server::ServingEngine& engine_;
  std::shared_ptr<InProcessClientFactory::LoadedModel> model_;
};

}  // namespace

InProcessClientFactory::InProcessClientFactory(server::ServerConfig config, uint64_t seed)
    : config_(std::move(config)), seed_(seed) {}

InProcessClientFactory::~InProcessClientFactory() {
  models_.clear();  // the leases go back to the repository before the engine goes
}

Status InProcessClientFactory::Prepare(const StreamSpec& stream) {
  if (models_.count(stream.model) != 0) return Status::Ok();
  if (config_.FindModel(stream.model) == nullptr) {
    return Error(ErrorCode::kNotFound, "stream '{}': the configuration declares no model '{}'", stream.name,
                 stream.model);
  }
  if (engine_ == nullptr) {
    MISSILE_ASSIGN_OR_RETURN(engine_, server::ServingEngine::Create(config_));
  }
  MISSILE_RETURN_IF_ERROR(engine_->Load(stream.model));
  MISSILE_ASSIGN_OR_RETURN(server::ModelLease lease, engine_->repository().Acquire(stream.model));
  server::InferRequest request;
  request.inputs = MakeRequestInputs(lease.model()->inputs(), seed_);
  models_.emplace(stream.model,
                  std::make_shared<LoadedModel>(LoadedModel{std::move(lease), std::move(request)}));
  return Status::Ok();
}

Result<std::unique_ptr<InferenceClient>> InProcessClientFactory::Connect(const StreamSpec& stream) {
  auto it = models_.find(stream.model);
  if (it == models_.end()) {
    return Error(ErrorCode::kFailedPrecondition, "stream '{}' was not prepared", stream.name);
  }
  return std::unique_ptr<InferenceClient>(new InProcessClient(*engine_, it->second));
}

}  // namespace missile::loadgen
