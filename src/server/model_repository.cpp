#include "server/model_repository.h"

namespace missile::server {

const char* ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kUnloaded:
      return "UNAVAILABLE";
    case ModelState::kLoading:
      return "LOADING";
    case ModelState::kReady:
      return "READY";
  }
  return "UNKNOWN";
}

ModelLease::ModelLease(ModelLease&& other) noexcept
    : repository_(other.repository_), model_(std::move(other.model_)) {
  other.repository_ = nullptr;
}

ModelLease::~ModelLease() {
  if (repository_ != nullptr && model_ != nullptr) repository_->Release(model_->name());
}

ModelRepository::ModelRepository(const ServerConfig& config, memory::VramQuotaLedger& quota,
                                 runtime::SessionOptions options,
                                 std::map<std::string, runtime::TransferRoute*> routes)
    : quota_(quota), options_(std::move(options)), routes_(std::move(routes)) {
  for (const ModelConfig& model : config.models) {
    order_.push_back(model.name);
    entries_.emplace(model.name, Entry{model, ModelState::kUnloaded, "", nullptr, 0});
  }
}

Status ModelRepository::Load(const std::string& name) {
  ModelConfig config;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      return Error(ErrorCode::kNotFound, "unknown model '{}': the configuration does not declare it", name);
    }
    Entry& entry = it->second;
    if (entry.state == ModelState::kReady) return Status::Ok();
    if (entry.state == ModelState::kLoading) {
      return Error(ErrorCode::kFailedPrecondition, "model '{}' is already being loaded", name);
    }
    entry.state = ModelState::kLoading;
    config = entry.config;
  }
  // Importing and compiling take from milliseconds to seconds: outside the lock, so other models keep
  // serving. The kLoading state keeps a second load or an unload of this model out meanwhile.
  auto fail = [&](const Status& status) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_.at(name);
    entry.state = ModelState::kUnloaded;
    entry.reason = status.message();
    return status;
  };
  runtime::SessionOptions options = options_;
  if (auto route = routes_.find(config.tenant); route != routes_.end())
    options.transfer_route = route->second;
  auto model = ServedModel::Load(config, options);
  if (!model.ok()) return fail(model.status().WithContext(fmt::format("cannot load model '{}'", name)));
  const ModelFootprint footprint = (*model)->footprint();
  Status charged = quota_.Charge(config.tenant, QuotaHolder(name), footprint.total());
  if (!charged.ok()) {
    // The model's memory is freed when `model` goes out of scope; the tenant was never charged.
    return fail(charged.WithContext(fmt::format("cannot load model '{}' ({})", name, footprint.Describe())));
  }
  std::lock_guard lock(mutex_);
  Entry& entry = entries_.at(name);
  entry.model = std::shared_ptr<ServedModel>(std::move(model).value());
  entry.state = ModelState::kReady;
  entry.reason.clear();
  return Status::Ok();
}

Status ModelRepository::Unload(const std::string& name) {
  std::shared_ptr<ServedModel> released;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      return Error(ErrorCode::kNotFound, "unknown model '{}': the configuration does not declare it", name);
    }
    Entry& entry = it->second;
    if (entry.state == ModelState::kUnloaded) return Status::Ok();
    if (entry.state == ModelState::kLoading) {
      return Error(ErrorCode::kFailedPrecondition, "model '{}' is being loaded; unload it once it is ready",
                   name);
    }
    if (entry.in_flight > 0) {
      return Error(ErrorCode::kFailedPrecondition,
                   "model '{}' is in use: {} request{} in flight; unload it when they have finished", name,
                   entry.in_flight, entry.in_flight == 1 ? "" : "s");
    }
    MISSILE_RETURN_IF_ERROR(quota_.Release(entry.config.tenant, QuotaHolder(name)));
    released = std::move(entry.model);
    entry.state = ModelState::kUnloaded;
  }
  // The model's memory is freed here, outside the lock.
  return Status::Ok();
}

Result<ModelLease> ModelRepository::Acquire(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Error(ErrorCode::kNotFound, "unknown model '{}'", name);
  Entry& entry = it->second;
  if (entry.state != ModelState::kReady) {
    return Error(ErrorCode::kFailedPrecondition,
                 "model '{}' is not loaded (state {}); load it with POST /v2/repository/models/{}/load", name,
                 ModelStateName(entry.state), name);
  }
  ++entry.in_flight;
  return ModelLease(this, entry.model);
}

void ModelRepository::Release(const std::string& name) {
  std::lock_guard lock(mutex_);
  --entries_.at(name).in_flight;
}

ModelStatus ModelRepository::StatusOf(const Entry& entry) const {
  ModelStatus status{entry.config.name, entry.config.tenant, entry.state,
                     entry.reason,      entry.in_flight,     std::nullopt};
  if (entry.model) status.footprint = entry.model->footprint();
  return status;
}

Result<ModelStatus> ModelRepository::Lookup(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return Error(ErrorCode::kNotFound, "unknown model '{}'", name);
  return StatusOf(it->second);
}

std::vector<ModelStatus> ModelRepository::Index() const {
  std::lock_guard lock(mutex_);
  std::vector<ModelStatus> index;
  for (const std::string& name : order_) index.push_back(StatusOf(entries_.at(name)));
  return index;
}

std::vector<std::shared_ptr<ServedModel>> ModelRepository::LoadedModels() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ServedModel>> loaded;
  for (const std::string& name : order_) {
    const Entry& entry = entries_.at(name);
    if (entry.state == ModelState::kReady) loaded.push_back(entry.model);
  }
  return loaded;
}

const ModelConfig* ModelRepository::Config(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second.config;
}

}  // namespace missile::server
