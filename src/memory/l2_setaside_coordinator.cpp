#include "memory/l2_setaside_coordinator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "memory/vram_quota.h"

namespace missile::memory {
namespace {

bool SameWindow(const WindowChoice& a, const WindowChoice& b) {
  if (a.bytes == 0 || b.bytes == 0) return a.bytes == b.bytes;
  return a.base == b.base && a.bytes == b.bytes && a.hit_ratio == b.hit_ratio;
}

uint64_t WeightBytes(const std::vector<HotRegion>& regions) {
  uint64_t bytes = 0;
  for (const HotRegion& region : regions) bytes += region.bytes;
  return bytes;
}

}  // namespace

const char* L2SetAsideModeName(L2SetAsideMode mode) {
  switch (mode) {
    case L2SetAsideMode::kOff:
      return "off";
    case L2SetAsideMode::kOn:
      return "on";
    case L2SetAsideMode::kAuto:
      return "auto";
  }
  return "unknown";
}

Result<L2SetAsideMode> ParseL2SetAsideMode(std::string_view text) {
  for (L2SetAsideMode mode : {L2SetAsideMode::kOff, L2SetAsideMode::kOn, L2SetAsideMode::kAuto}) {
    if (text == L2SetAsideModeName(mode)) return mode;
  }
  return Error(
      ErrorCode::kInvalidArgument,
      "'{}' is not an L2 set-aside mode (off, on, or auto: use it only where a trial shows it helps)", text);
}

const char* L2TenantStateName(L2TenantState state) {
  switch (state) {
    case L2TenantState::kOff:
      return "off";
    case L2TenantState::kOn:
      return "on";
    case L2TenantState::kTrial:
      return "trial";
    case L2TenantState::kUse:
      return "use";
    case L2TenantState::kDoNotUse:
      return "do_not_use";
    case L2TenantState::kFailed:
      return "failed";
  }
  return "unknown";
}

bool L2SetAsideCoordinator::Tenant::Uses() const {
  if (failed) return false;
  switch (setting.mode) {
    case L2SetAsideMode::kOff:
      return false;
    case L2SetAsideMode::kOn:
      return true;
    case L2SetAsideMode::kAuto:
      return trial.use_now();
  }
  return false;
}

L2TenantState L2SetAsideCoordinator::Tenant::State() const {
  if (failed) return L2TenantState::kFailed;
  switch (setting.mode) {
    case L2SetAsideMode::kOff:
      return L2TenantState::kOff;
    case L2SetAsideMode::kOn:
      return L2TenantState::kOn;
    case L2SetAsideMode::kAuto:
      if (trial.deciding()) return L2TenantState::kTrial;
      return trial.decision()->use ? L2TenantState::kUse : L2TenantState::kDoNotUse;
  }
  return L2TenantState::kOff;
}

L2SetAsideCoordinator::L2SetAsideCoordinator(std::vector<L2TenantSetting> tenants, L2Limits limits,
                                             L2SetAsideMechanism& mechanism, L2CoordinatorOptions options,
                                             std::function<void(const std::string&)> log)
    : limits_(limits), mechanism_(mechanism), options_(options), log_(std::move(log)) {
  for (L2TenantSetting& setting : tenants) {
    order_.push_back(setting.name);
    Tenant tenant;
    tenant.setting = std::move(setting);
    tenant.trial = L2SetAsideTrial(options_.trial);
    tenants_.emplace(order_.back(), std::move(tenant));
  }
}

void L2SetAsideCoordinator::Log(const std::string& line) const {
  if (log_) log_(line);
}

void L2SetAsideCoordinator::Fail(Tenant& tenant, const Status& status) {
  if (tenant.failed) return;
  tenant.failed = true;
  tenant.failure = status.message();
  Log(fmt::format("tenant {}: the set-aside failed, the tenant runs without it: {}", tenant.setting.name,
                  status.message()));
}

L2SetAsidePlan L2SetAsideCoordinator::ActivePlan() const {
  L2SetAsidePlan active;
  for (const auto& [name, budget] : plan_.budgets) {
    if (!tenants_.at(name).Uses()) continue;
    active.budgets[name] = budget;
    active.device_limit_bytes += budget;
  }
  return active;
}

void L2SetAsideCoordinator::SyncDevice() {
  const L2SetAsidePlan next = ActivePlan();
  const bool reset = !device_synced_ || NeedsReset(applied_, next);
  if (device_synced_ && !reset && next.device_limit_bytes == applied_.device_limit_bytes) return;
  Status status = mechanism_.SetPersistingLimit(next.device_limit_bytes);
  // Lines of a tenant that stopped (or changed budget) would keep occupying the set-aside: reset them.
  if (status.ok() && reset) status = mechanism_.ResetPersistingLines();
  device_synced_ = true;
  if (status.ok()) {
    applied_ = next;
    return;
  }
  // Device-wide calls fail for everyone (under MPS, say, where only the MPS server may set the size).
  for (auto& [name, tenant] : tenants_) {
    if (tenant.setting.mode != L2SetAsideMode::kOff)
      Fail(tenant, status.WithContext("the persisting L2 size"));
  }
  applied_ = {};
}

WindowChoice L2SetAsideCoordinator::WantedWindow(const Tenant& tenant, const Model& model) const {
  if (!tenant.Uses() || tenant.budget == 0 || tenant.weight_bytes == 0) return {};
  // The tenant's budget split between its models by weight bytes: each stream has its own window.
  const auto budget =
      static_cast<uint64_t>(static_cast<double>(tenant.budget) * static_cast<double>(model.weight_bytes) /
                            static_cast<double>(tenant.weight_bytes));
  return ChooseAccessWindow(model.regions, budget, limits_.max_window_bytes);
}

void L2SetAsideCoordinator::SetModels(const std::vector<L2LoadedModel>& models) {
  std::lock_guard lock(mutex_);
  std::map<uint64_t, Model> next;
  for (const L2LoadedModel& loaded : models) {
    Model model{loaded.tenant, loaded.name, loaded.regions, WeightBytes(loaded.regions), {}};
    if (auto before = models_.find(loaded.instance); before != models_.end()) {
      model.applied = before->second.applied;
    }
    next.emplace(loaded.instance, std::move(model));
  }
  bool changed = next.size() != models_.size();
  for (auto a = next.begin(), b = models_.begin(); !changed && a != next.end(); ++a, ++b) {
    changed = a->first != b->first;
  }
  if (!changed) return;
  models_ = std::move(next);

  std::vector<L2Tenant> demands;
  for (const std::string& name : order_) {
    Tenant& tenant = tenants_.at(name);
    tenant.weight_bytes = 0;
    for (const auto& [instance, model] : models_) {
      if (model.tenant == name) tenant.weight_bytes += model.weight_bytes;
    }
    if (tenant.setting.mode == L2SetAsideMode::kOff || tenant.failed) continue;
    uint64_t hot = tenant.weight_bytes;
    if (tenant.setting.max_bytes) hot = std::min(hot, *tenant.setting.max_bytes);
    demands.push_back({name, true, hot});
  }
  plan_ = PlanL2SetAside(demands, limits_, options_.share);

  std::vector<std::string> planned;
  for (const std::string& name : order_) {
    Tenant& tenant = tenants_.at(name);
    auto budget = plan_.budgets.find(name);
    tenant.budget = budget == plan_.budgets.end() ? 0 : budget->second;
    tenant.settling = 0;
    if (tenant.budget == 0) continue;
    planned.push_back(
        fmt::format("{} {} ({})", name, FormatBytes(tenant.budget), L2SetAsideModeName(tenant.setting.mode)));
    if (tenant.setting.mode == L2SetAsideMode::kAuto) {
      // Other tenants, other interference: what was measured no longer holds.
      tenant.trial.Restart();
      ++tenant.trials_started;
    }
  }
  Log(fmt::format(
      "{} model{} loaded: persisting L2 for {} of at most {}{}", models_.size(),
      models_.size() == 1 ? "" : "s", planned.empty() ? "nobody" : fmt::to_string(fmt::join(planned, ", ")),
      FormatBytes(limits_.persisting_max_bytes), planned.empty() ? "" : "; auto tenants start a new trial"));
  SyncDevice();
}

void L2SetAsideCoordinator::BeforeRequest(const std::string& tenant_name, uint64_t instance) {
  std::lock_guard lock(mutex_);
  auto tenant = tenants_.find(tenant_name);
  auto model = models_.find(instance);
  if (tenant == tenants_.end() || model == models_.end()) return;
  const WindowChoice wanted = WantedWindow(tenant->second, model->second);
  if (SameWindow(wanted, model->second.applied)) return;
  const Status status = mechanism_.SetModelWindow(instance, wanted);
  if (!status.ok()) {
    // Not tried again: the tenant runs without from now on, and the device no longer sets L2 aside for it,
    // so a window left on its stream can make no line persist.
    model->second.applied = {};
    Fail(tenant->second,
         status.WithContext(fmt::format("model '{}': its L2 access window", model->second.name)));
    SyncDevice();
    return;
  }
  model->second.applied = wanted;
  tenant->second.settling = options_.settle_requests;
  if (wanted.bytes == 0) {
    Log(fmt::format("tenant {}, model {}: L2 window removed", tenant_name, model->second.name));
  } else {
    Log(fmt::format("tenant {}, model {}: L2 window of {} over {} of weights in {} regions, hit ratio {:.2f}",
                    tenant_name, model->second.name, FormatBytes(wanted.bytes),
                    FormatBytes(wanted.covered_bytes), wanted.covered_regions, wanted.hit_ratio));
  }
}

void L2SetAsideCoordinator::AfterRequest(const std::string& tenant_name, double latency_ms, bool contended) {
  std::lock_guard lock(mutex_);
  auto found = tenants_.find(tenant_name);
  if (found == tenants_.end()) return;
  Tenant& tenant = found->second;
  if (tenant.settling > 0) {
    --tenant.settling;
    ++tenant.settling_seen;
    return;
  }
  if (!contended) {
    ++tenant.uncontended;
    return;
  }
  ++tenant.contended;
  if (tenant.setting.mode != L2SetAsideMode::kAuto || tenant.failed || !tenant.trial.deciding()) return;
  const size_t with_before = tenant.trial.rounds().p99_with_ms.size();
  const int finished_before = tenant.trial.rounds_finished();
  const bool changed = tenant.trial.Record(latency_ms, true);
  if (tenant.trial.rounds_finished() != finished_before) {
    const bool with = tenant.trial.rounds().p99_with_ms.size() != with_before;
    const SetAsideTrial& rounds = tenant.trial.rounds();
    Log(fmt::format(
        "tenant {}: trial round {} of {} ({} the set-aside): p99 {:.3f} ms over {} contended requests",
        tenant_name, tenant.trial.rounds_finished(), 2 * tenant.trial.options().rounds_per_side,
        with ? "with" : "without", with ? rounds.p99_with_ms.back() : rounds.p99_without_ms.back(),
        tenant.trial.options().requests_per_round));
    if (!tenant.trial.deciding()) {
      Log(fmt::format("tenant {}: decided: {}", tenant_name, tenant.trial.decision()->reason));
    }
  }
  if (changed) SyncDevice();
}

std::vector<L2TenantReport> L2SetAsideCoordinator::Report() const {
  std::lock_guard lock(mutex_);
  std::vector<L2TenantReport> reports;
  for (const std::string& name : order_) {
    const Tenant& tenant = tenants_.at(name);
    L2TenantReport report;
    report.tenant = name;
    report.mode = tenant.setting.mode;
    report.state = tenant.State();
    report.active = tenant.Uses() && tenant.budget > 0;
    report.budget_bytes = tenant.budget;
    if (tenant.setting.mode == L2SetAsideMode::kAuto) {
      report.rounds = tenant.trial.rounds();
      report.rounds_per_side = tenant.trial.options().rounds_per_side;
      report.decision = tenant.trial.decision();
    }
    report.trials_started = tenant.trials_started;
    report.requests_contended = tenant.contended;
    report.requests_uncontended = tenant.uncontended;
    report.requests_settling = tenant.settling_seen;
    report.failure = tenant.failure;
    reports.push_back(std::move(report));
  }
  return reports;
}

uint64_t L2SetAsideCoordinator::persisting_limit() const {
  std::lock_guard lock(mutex_);
  return applied_.device_limit_bytes;
}

}  // namespace missile::memory
