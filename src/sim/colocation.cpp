#include "sim/colocation.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace missile::sim {
namespace {

SimTenant LsTenant(const ColocationScenario& s) {
  SimTenant t;
  t.config = {fmt::format("LS {} bs{}", s.ls_model->model, s.ls_model->batch),
              sched::TenantClass::kLatencySensitive, s.ls_bounds, 0};
  t.config.segment_steps = s.ls_segment_steps;
  t.model = s.ls_model;
  t.load = LoadKind::kPoisson;
  t.rate = s.ls_rate;
  return t;
}

SimTenant BeTenant(const ColocationScenario& s) {
  SimTenant t;
  t.config = {fmt::format("BE {} bs{}", s.be_model->model, s.be_model->batch),
              sched::TenantClass::kBestEffort, s.be_bounds, 0};
  t.config.segment_steps = s.be_segment_steps;
  t.model = s.be_model;
  t.load = LoadKind::kClosedLoop;
  t.outstanding = 1;
  return t;
}

SimConfig BaseConfig(const ColocationScenario& s, std::string policy) {
  SimConfig config;
  config.policy = std::move(policy);
  config.policy_options = s.policy_options;
  config.duration = s.duration;
  config.warmup = s.warmup;
  config.seed = s.seed;
  config.gpu = s.gpu;
  config.model_copies = s.model_copies;
  return config;
}

nlohmann::ordered_json OutcomeJson(const TenantOutcome& t) {
  return {{"name", t.name},
          {"class", sched::TenantClassName(t.cls)},
          {"requests", t.latency.count},
          {"p50_ms", t.latency.p50_ms},
          {"p99_ms", t.latency.p99_ms},
          {"p999_ms", t.latency.p999_ms},
          {"mean_ms", t.latency.mean_ms},
          {"max_ms", t.latency.max_ms},
          {"requests_per_s", t.requests_per_s},
          {"items_per_s", t.items_per_s}};
}

}  // namespace

Result<ColocationReport> RunColocation(const ColocationScenario& scenario,
                                       const std::vector<std::string>& policies) {
  if (scenario.ls_model == nullptr || scenario.be_model == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "the colocation scenario needs an LS and a BE profile");
  }
  ColocationReport report;
  // Alone: the tenant by itself on the whole GPU, each request one launch. `shared` puts every launch on the
  // whole GPU at once, which for a lone tenant is running it with no scheduler in the way.
  SimConfig ls_alone = BaseConfig(scenario, "shared");
  ls_alone.tenants = {LsTenant(scenario)};
  ls_alone.tenants[0].config.segment_steps = 0;
  MISSILE_ASSIGN_OR_RETURN(SimOutcome ls_outcome, Simulate(ls_alone));
  report.ls_alone = ls_outcome.tenants[0];
  SimConfig be_alone = BaseConfig(scenario, "shared");
  be_alone.tenants = {BeTenant(scenario)};
  be_alone.tenants[0].config.segment_steps = 0;
  MISSILE_ASSIGN_OR_RETURN(SimOutcome be_outcome, Simulate(be_alone));
  report.be_alone = be_outcome.tenants[0];

  for (const std::string& policy : policies) {
    SimConfig config = BaseConfig(scenario, policy);
    config.tenants = {LsTenant(scenario), BeTenant(scenario)};  // LS first: the same arrivals as alone
    MISSILE_ASSIGN_OR_RETURN(SimOutcome outcome, Simulate(config));
    if (outcome.invalid_decisions > 0) {
      return Error(ErrorCode::kInternal, "policy '{}' made {} invalid decisions", policy,
                   outcome.invalid_decisions);
    }
    ColocationRow row;
    row.policy = policy;
    row.ls = outcome.tenants[0];
    row.be = outcome.tenants[1];
    row.ls_p99_vs_alone =
        report.ls_alone.latency.p99_ms > 0 ? row.ls.latency.p99_ms / report.ls_alone.latency.p99_ms : 0;
    row.be_vs_alone = report.be_alone.items_per_s > 0 ? row.be.items_per_s / report.be_alone.items_per_s : 0;
    row.gpu = outcome.gpu;
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::string FormatColocationTable(const ColocationReport& report) {
  std::string table =
      "| setup | LS p50 (ms) | LS p99 (ms) | LS p99.9 (ms) | LS p99 vs alone | BE items/s | BE vs alone |\n"
      "| --- | --- | --- | --- | --- | --- | --- |\n";
  const LatencySummary& ls = report.ls_alone.latency;
  table += fmt::format("| LS alone | {:.3f} | {:.3f} | {:.3f} | 1.00x | - | - |\n", ls.p50_ms, ls.p99_ms,
                       ls.p999_ms);
  table += fmt::format("| BE alone | - | - | - | - | {:.0f} | 1.00 |\n", report.be_alone.items_per_s);
  for (const ColocationRow& row : report.rows) {
    table += fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {:.2f}x | {:.0f} | {:.2f} |\n", row.policy,
                         row.ls.latency.p50_ms, row.ls.latency.p99_ms, row.ls.latency.p999_ms,
                         row.ls_p99_vs_alone, row.be.items_per_s, row.be_vs_alone);
  }
  return table;
}

std::string ColocationToJson(const ColocationScenario& scenario, const ColocationReport& report) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const ColocationRow& row : report.rows) {
    rows.push_back({{"policy", row.policy},
                    {"ls", OutcomeJson(row.ls)},
                    {"be", OutcomeJson(row.be)},
                    {"ls_p99_vs_alone", row.ls_p99_vs_alone},
                    {"be_vs_alone", row.be_vs_alone},
                    {"gpu_kernels", row.gpu.kernels},
                    {"gpu_drains", row.gpu.drains},
                    {"gpu_drain_wait_ms", static_cast<double>(row.gpu.drain_wait.count()) * 1e-6}});
  }
  const auto bounds = [](const sched::SmBounds& b) {
    return nlohmann::ordered_json{{"min_groups", b.min_groups},
                                  {"max_groups", std::min(b.max_groups, 1 << 10)}};
  };
  const nlohmann::ordered_json json = {
      {"scenario",
       {{"ls_profile", fmt::format("{} bs{} {} ({})", scenario.ls_model->model, scenario.ls_model->batch,
                                   scenario.ls_model->precision, scenario.ls_model->source)},
        {"be_profile", fmt::format("{} bs{} {} ({})", scenario.be_model->model, scenario.be_model->batch,
                                   scenario.be_model->precision, scenario.be_model->source)},
        {"ls_rate_per_s", scenario.ls_rate},
        {"seconds", static_cast<double>(scenario.duration.count()) * 1e-9},
        {"warmup_seconds", static_cast<double>(scenario.warmup.count()) * 1e-9},
        {"seed", scenario.seed},
        {"ls_bounds", bounds(scenario.ls_bounds)},
        {"be_bounds", bounds(scenario.be_bounds)},
        {"ls_segment_steps", scenario.ls_segment_steps},
        {"be_segment_steps", scenario.be_segment_steps},
        {"missile_slowdown_budget", scenario.policy_options.missile_slowdown_budget},
        {"orion_sm_threshold", scenario.policy_options.orion_sm_threshold},
        {"launch_latency_us", static_cast<double>(scenario.gpu.launch_latency.count()) * 1e-3},
        {"model_copies", scenario.model_copies}}},
      {"ls_alone", OutcomeJson(report.ls_alone)},
      {"be_alone", OutcomeJson(report.be_alone)},
      {"policies", rows},
  };
  return json.dump(2) + "\n";
}

}  // namespace missile::sim
