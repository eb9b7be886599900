// Which LS tenants run with the L2 set-aside right now, decided while serving: the policy side of the
// set-aside in the server, apart from the CUDA calls (an injected L2SetAsideMechanism).
//
// Each latency-sensitive tenant has a mode: `off` (never), `on` (always), or `auto`: an online A/B trial
// (l2_setaside_trial.h) on the tenant's own requests served while a BE tenant was busy, which keeps the
// set-aside only when it measurably helps, and keeps that decision until the loaded models change (a load or
// an unload: the tenants competing for L2 changed, so the trial starts again). How much persisting L2 each
// tenant gets is the plan (l2_setaside_plan.h) over the tenants that may use it; what its models' windows
// cover is ChooseAccessWindow (l2_window.h) over each model's weights, the tenant's budget split between its
// models by weight bytes.
//
// What is applied where:
// - device-wide (the persisting size = the budgets of the tenants using the set-aside now, and a reset of
//   persisting lines whenever that set of budgets changes: NeedsReset) as soon as a tenant's mode changes;
// - a model's window just before its next request (BeforeRequest), when nothing of its tenant runs, so no
//   kernel of the tenant ever runs with a stale window and no stream is touched while in use.
// The first `settle_requests` requests after a tenant's window changed are not counted: they re-capture the
// CUDA graph and refill L2.
//
// Errors of the mechanism never fail a request: the tenant (or, for a device-wide call, every tenant) drops
// to "failed", runs without the set-aside, and the reason is logged and reported.
//
// Thread-safe: one lock; mechanism calls are made under it (they are short, and their order matters).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "memory/l2_setaside_plan.h"
#include "memory/l2_setaside_trial.h"
#include "memory/l2_window.h"

namespace missile::memory {

enum class L2SetAsideMode { kOff, kOn, kAuto };
const char* L2SetAsideModeName(L2SetAsideMode mode);  // "off", "on", "auto"
Result<L2SetAsideMode> ParseL2SetAsideMode(std::string_view text);

// Where a tenant stands: `off`/`on` (fixed by its mode), `trial` (auto, deciding), `use` / `do_not_use`
// (auto, decided), `failed` (the mechanism refused; runs without).
enum class L2TenantState { kOff, kOn, kTrial, kUse, kDoNotUse, kFailed };
const char* L2TenantStateName(L2TenantState state);

// What the coordinator asks of the GPU.
class L2SetAsideMechanism {
 public:
  virtual ~L2SetAsideMechanism() = default;
  // Device-wide: how much L2 may hold persisting lines (0: none).
  virtual Status SetPersistingLimit(uint64_t bytes) = 0;
  // Device-wide: every persisting line becomes a normal one.
  virtual Status ResetPersistingLines() = 0;
  // Gives the stream of model `instance` this window (0 bytes: none) and makes its next request capture its
  // CUDA graph again. Called only while the model runs nothing.
  virtual Status SetModelWindow(uint64_t instance, const WindowChoice& window) = 0;
};

struct L2TenantSetting {
  std::string name;
  L2SetAsideMode mode = L2SetAsideMode::kAuto;
  std::optional<uint64_t> max_bytes;  // the most persisting L2 it may hold; none: its fair share
};

// A loaded model: whose it is and where its weights lie (empty for tenants without a set-aside).
struct L2LoadedModel {
  std::string tenant;
  std::string name;
  uint64_t instance = 0;  // unique per load (ServedModel::instance_id)
  std::vector<HotRegion> regions;
};

struct L2CoordinatorOptions {
  SetAsideTrialOptions trial;
  int settle_requests = 2;  // after a window change, requests not counted (graph re-capture, L2 refill)
  double share = 1.0;       // of the device's persisting maximum that may be given out (PlanL2SetAside)
};

struct L2TenantReport {
  std::string tenant;
  L2SetAsideMode mode = L2SetAsideMode::kOff;
  L2TenantState state = L2TenantState::kOff;
  bool active = false;        // its requests run with the set-aside now
  uint64_t budget_bytes = 0;  // persisting L2 the plan grants it (0 without loaded models)
  SetAsideTrial rounds;       // the current trial's per-round p99s (auto)
  int rounds_per_side = 0;
  std::optional<SetAsideDecision> decision;
  uint64_t trials_started = 0;
  // Its requests by how they were served: a BE tenant busy meanwhile (what an auto trial counts), none
  // busy, or settling after a window change (not counted).
  uint64_t requests_contended = 0;
  uint64_t requests_uncontended = 0;
  uint64_t requests_settling = 0;
  std::string failure;  // why it failed, when it did
};

class L2SetAsideCoordinator {
 public:
  // `tenants`: the LS tenants (mode off included, to be reported); `limits`: the device's. `log` receives one
  // line per event (trial started, round finished, decision, window, failure); may be empty.
  L2SetAsideCoordinator(std::vector<L2TenantSetting> tenants, L2Limits limits, L2SetAsideMechanism& mechanism,
                        L2CoordinatorOptions options = {}, std::function<void(const std::string&)> log = {});

  // Every model loaded now, of every tenant. When the set differs from the last call: a new plan, trials
  // start again, the device follows; models' windows follow at their next request.
  void SetModels(const std::vector<L2LoadedModel>& models);

  // Before a request of model `instance` of `tenant` runs, with nothing else of the tenant running.
  void BeforeRequest(const std::string& tenant, uint64_t instance);
  // After it ran: its latency, and whether a BE tenant was busy (running or queued) meanwhile.
  void AfterRequest(const std::string& tenant, double latency_ms, bool contended);

  std::vector<L2TenantReport> Report() const;  // in the order the tenants were given
  uint64_t persisting_limit() const;           // what the device was last set to

 private:
  struct Tenant {
    L2TenantSetting setting;
    L2SetAsideTrial trial;
    uint64_t budget = 0;
    uint64_t weight_bytes = 0;  // of its loaded models
    int settling = 0;
    bool failed = false;
    std::string failure;
    uint64_t trials_started = 0, contended = 0, uncontended = 0, settling_seen = 0;
    bool Uses() const;
    L2TenantState State() const;
  };
  struct Model {
    std::string tenant;
    std::string name;
    std::vector<HotRegion> regions;
    uint64_t weight_bytes = 0;
    WindowChoice applied;  // on its stream now (0 bytes: none)
  };

  // The device-wide part for the tenants using the set-aside now; failures fail every tenant.
  void SyncDevice();
  L2SetAsidePlan ActivePlan() const;
  WindowChoice WantedWindow(const Tenant& tenant, const Model& model) const;
  void Fail(Tenant& tenant, const Status& status);
  void Log(const std::string& line) const;

  const L2Limits limits_;
  L2SetAsideMechanism& mechanism_;
  const L2CoordinatorOptions options_;
  const std::function<void(const std::string&)> log_;

  mutable std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Tenant> tenants_;
  std::map<uint64_t, Model> models_;  // by instance, every tenant's
  L2SetAsidePlan plan_;               // over every tenant that may use it
  L2SetAsidePlan applied_;            // what the device holds: the active tenants' budgets
  bool device_synced_ = false;
};

}  // namespace missile::memory
