// The models a server may serve (those its configuration declares), their states, and the rules for loading
// and unloading them: a load charges the model's footprint to its tenant's VRAM quota and is refused, with
// nothing changed, when it does not fit; an unload is refused while requests hold the model.
//
// Requests take a lease on a ready model for as long as they use it (decode, queue, execution, response), so
// "in use" is exact and a model is never freed under a request.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "memory/vram_quota.h"
#include "runtime/transfer_route.h"
#include "server/served_model.h"
#include "server/server_config.h"

namespace missile::server {

enum class ModelState { kUnloaded, kLoading, kReady };
const char* ModelStateName(ModelState state);  // KServe's repository index: UNAVAILABLE, LOADING, READY

struct ModelStatus {
  std::string name;
  std::string tenant;
  ModelState state = ModelState::kUnloaded;
  std::string reason;  // why the last load failed, if it did
  int in_flight = 0;
  std::optional<ModelFootprint> footprint;  // while ready
};

class ModelRepository;

// Keeps a ready model loaded while a request uses it. Movable, released on destruction.
class ModelLease {
 public:
  ModelLease(ModelLease&& other) noexcept;
  ModelLease& operator=(ModelLease&& other) = delete;
  ModelLease(const ModelLease&) = delete;
  ~ModelLease();

  const std::shared_ptr<ServedModel>& model() const { return model_; }

 private:
  friend class ModelRepository;
  ModelLease(ModelRepository* repository, std::shared_ptr<ServedModel> model)
      : repository_(repository), model_(std::move(model)) {}

  ModelRepository* repository_;
  std::shared_ptr<ServedModel> model_;
};

class ModelRepository {
 public:
  // `quota` must hold every tenant of `config` and outlive the repository. `routes`: where each tenant's
  // sessions send their host<->device copies (the GPU's transfer scheduler); a tenant without one copies
  // directly. The routes must outlive the repository.
  ModelRepository(const ServerConfig& config, memory::VramQuotaLedger& quota, runtime::SessionOptions options,
                  std::map<std::string, runtime::TransferRoute*> routes = {});

  // Loads a declared model and charges its tenant. Already ready: nothing to do. kNotFound for a model the
  // configuration does not declare, kFailedPrecondition while it is loading, kResourceExhausted when it does
  // not fit its tenant's quota, the engine's error when it cannot be imported or compiled.
  Status Load(const std::string& name);
  // Frees a ready model and its charge. Not loaded: nothing to do. kFailedPrecondition while requests hold it
  // or while it is loading.
  Status Unload(const std::string& name);

  // A lease on a ready model: kNotFound when undeclared, kFailedPrecondition when not loaded.
  Result<ModelLease> Acquire(const std::string& name);

  Result<ModelStatus> Lookup(const std::string& name) const;
  std::vector<ModelStatus> Index() const;  // in configuration order
  // Every ready model, in configuration order (for device mechanisms that plan over what is loaded).
  std::vector<std::shared_ptr<ServedModel>> LoadedModels() const;
  const ModelConfig* Config(const std::string& name) const;

 private:
  friend class ModelLease;
  struct Entry {
    ModelConfig config;
    ModelState state = ModelState::kUnloaded;
    std::string reason;
    std::shared_ptr<ServedModel> model;
    int in_flight = 0;
  };

  void Release(const std::string& name);
  ModelStatus StatusOf(const Entry& entry) const;
  static std::string QuotaHolder(const std::string& model) { return fmt::format("model '{}'", model); }

  memory::VramQuotaLedger& quota_;
  const runtime::SessionOptions options_;
  const std::map<std::string, runtime::TransferRoute*> routes_;  // by tenant
  mutable std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Entry> entries_;
};

}  // namespace missile::server
