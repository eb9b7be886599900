#include "server/l2_setaside_serving.h"

namespace missile::server {

L2SetAsideServing::L2SetAsideServing(const L2SetAsideSettings& settings,
                                     const memory::L2CoordinatorOptions& options,
                                     std::unique_ptr<L2SetAsideDevice> device,
                                     std::function<void(const std::string&)> log)
    : device_(std::move(device)),
      log_(std::move(log)),
      coordinator_(settings.tenants, device_->limits(), *device_, options, log_) {
  for (const memory::L2TenantSetting& tenant : settings.tenants) {
    if (tenant.mode != memory::L2SetAsideMode::kOff) with_set_aside_.insert(tenant.name);
  }
}

void L2SetAsideServing::ModelsChanged(
    const std::function<std::vector<std::shared_ptr<ServedModel>>()>& loaded) {
  std::lock_guard lock(models_mutex_);
  const std::vector<std::shared_ptr<ServedModel>> models = loaded();
  device_->Track(models);
  std::vector<memory::L2LoadedModel> described;
  for (const auto& model : models) {
    memory::L2LoadedModel entry{model->tenant(), model->name(), model->instance_id(), {}};
    if (with_set_aside_.count(model->tenant()) > 0) {
      auto regions = device_->WeightRegions(*model);
      if (regions.ok()) {
        entry.regions = std::move(regions).value();
      } else if (log_) {
        // Planned as a model without weights: it gets no window, its tenant keeps serving.
        log_(fmt::format("model {}: where its weights lie is unknown, it gets no window: {}", model->name(),
                         regions.status().message()));
      }
    }
    described.push_back(std::move(entry));
  }
  coordinator_.SetModels(described);
}

void L2SetAsideServing::BeforeRun(const std::string& tenant, ServedModel& model) {
  coordinator_.BeforeRequest(tenant, model.instance_id());
}

void L2SetAsideServing::AfterRun(const std::string& tenant, ServedModel&, const TenantRun& run) {
  coordinator_.AfterRequest(tenant, 1e3 * run.compute_s, run.contended);
}

}  // namespace missile::server
