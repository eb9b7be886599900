// `missile simulate`: what each policy would do with an LS and a BE tenant, in the discrete-event simulator
// (src/sim): LS Poisson arrivals beside a closed-loop BE, against both alone, from kernel profiles.
#include <iostream>

#include "cli/commands.h"
#include "sched/kernel_profile.h"
#include "sim/colocation.h"

namespace missile::cli {
namespace {

struct SimulateOptions {
  std::string ls_profile;
  std::string be_profile;
  std::string policy = "missile";
  double rate = 200;
  double seconds = 30;
  double warmup = 0.5;
  uint64_t seed = 1;
  std::string ls_groups = "0:all";
  std::string be_groups = "1:all";
  size_t ls_segment = 1;
  size_t be_segment = 1;
  int groups = 0;
  double budget = 0.05;
  int orion_threshold = 0;
  double launch_latency_us = 2;
  bool no_copies = false;
  bool json = false;
};

// "MIN:MAX" in SM groups; MAX may be "all".
Result<sched::SmBounds> ParseBounds(const std::string& text, const char* what) {
  const size_t colon = text.find(':');
  const auto bad = [&] {
    return Error(ErrorCode::kInvalidArgument, "{} must be MIN:MAX in SM groups (MAX may be 'all'), got '{}'",
                 what, text);
  };
  if (colon == std::string::npos) return bad();
  sched::SmBounds bounds;
  try {
    size_t used = 0;
    bounds.min_groups = std::stoi(text.substr(0, colon), &used);
    if (used != colon) return bad();
    const std::string max = text.substr(colon + 1);
    if (max == "all") {
      bounds.max_groups = sched::kAllGroups;
    } else {
      bounds.max_groups = std::stoi(max, &used);
      if (used != max.size()) return bad();
    }
  } catch (const std::exception&) {
    return bad();
  }
  if (bounds.min_groups < 0 || bounds.max_groups < 1 || bounds.min_groups > bounds.max_groups) return bad();
  return bounds;
}

// The profile at `path`, resampled to `groups` SM groups of its SMs (the last holding the rest) unless 0.
Result<std::shared_ptr<const sched::ModelProfile>> Load(const std::string& path, int groups) {
  MISSILE_ASSIGN_OR_RETURN(sched::ModelProfile profile, sched::LoadModelProfile(path));
  if (groups > 0) {
    const sched::GpuLayout layout{profile.layout.sms, profile.layout.sms_per_group, groups};
    if (!layout.valid()) {
      return Error(ErrorCode::kInvalidArgument, "--groups {}: {} SMs in groups of {} cannot make {} groups",
                   groups, profile.layout.sms, profile.layout.sms_per_group, groups);
    }
    MISSILE_ASSIGN_OR_RETURN(profile, sched::ResampleProfile(profile, layout));
  }
  return std::make_shared<const sched::ModelProfile>(std::move(profile));
}

int Simulate(const SimulateOptions& options) {
  std::vector<std::string> policies;
  if (options.policy == "all") {
    policies = sched::PolicyNames();
  } else {
    auto made = sched::MakePolicy(options.policy);
    if (!made.ok()) return ReportError(made.status());
    policies = {options.policy};
  }
  if (!(options.rate > 0)) return ReportError(Error(ErrorCode::kInvalidArgument, "--rate must be > 0"));
  if (!(options.seconds > options.warmup) || options.warmup < 0) {
    return ReportError(Error(ErrorCode::kInvalidArgument, "--seconds must exceed --warmup (>= 0)"));
  }
  sim::ColocationScenario scenario;
  if (options.groups < 0) return ReportError(Error(ErrorCode::kInvalidArgument, "--groups must be >= 0"));
  auto ls = Load(options.ls_profile, options.groups);
  if (!ls.ok()) return ReportError(ls.status());
  auto be = Load(options.be_profile, options.groups);
  if (!be.ok()) return ReportError(be.status());
  scenario.ls_model = *ls;
  scenario.be_model = *be;
  if (scenario.ls_model->layout.groups() != scenario.be_model->layout.groups()) {
    return ReportError(
        Error(ErrorCode::kInvalidArgument, "the LS and BE profiles are for different SM layouts"));
  }
  scenario.gpu.layout = scenario.ls_model->layout;
  scenario.gpu.launch_latency = sim::Nanos(static_cast<int64_t>(options.launch_latency_us * 1e3));
  scenario.ls_rate = options.rate;
  scenario.duration = sim::Nanos(static_cast<int64_t>(options.seconds * 1e9));
  scenario.warmup = sim::Nanos(static_cast<int64_t>(options.warmup * 1e9));
  scenario.seed = options.seed;
  scenario.model_copies = !options.no_copies;
  scenario.ls_segment_steps = options.ls_segment;
  scenario.be_segment_steps = options.be_segment;
  auto ls_bounds = ParseBounds(options.ls_groups, "--ls-groups");
  if (!ls_bounds.ok()) return ReportError(ls_bounds.status());
  auto be_bounds = ParseBounds(options.be_groups, "--be-groups");
  if (!be_bounds.ok()) return ReportError(be_bounds.status());
  scenario.ls_bounds = *ls_bounds;
  scenario.be_bounds = *be_bounds;
  scenario.policy_options.missile_slowdown_budget = options.budget;
  scenario.policy_options.orion_sm_threshold = options.orion_threshold;
  if (Status valid = scenario.policy_options.Validate(); !valid.ok()) return ReportError(valid);

  auto report = sim::RunColocation(scenario, policies);
  if (!report.ok()) return ReportError(report.status());
  if (options.json) {
    std::cout << sim::ColocationToJson(scenario, *report);
    return 0;
  }
  std::cout << fmt::format(
      "LS {} bs{} (Poisson {:g} req/s) + BE {} bs{} (closed loop), {:g} s simulated (warm-up {:g} s), seed "
      "{}\n"
      "profiles: {} / {}, {}; steps per launch: LS {}, BE {} (0: whole request)\n\n",
      scenario.ls_model->model, scenario.ls_model->batch, options.rate, scenario.be_model->model,
      scenario.be_model->batch, options.seconds, options.warmup, options.seed, scenario.ls_model->source,
      scenario.be_model->source, scenario.gpu.layout.ToString(), options.ls_segment, options.be_segment);
  std::cout << sim::FormatColocationTable(*report);
  return 0;
}

}  // namespace

Command AddSimulateCommand(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* simulate = app.add_subcommand(
      "simulate", "Simulate an LS and a BE tenant sharing the GPU under a scheduling policy");
  simulate->add_option("--ls-profile", options->ls_profile, "kernel profile (JSON) of the LS model")
      ->required();
  simulate->add_option("--be-profile", options->be_profile, "kernel profile (JSON) of the BE model")
      ->required();
  simulate->add_option("--policy", options->policy,
                       "temporal, shared, priority, static, orion, missile, or all (default: missile)");
  simulate->add_option("--rate", options->rate, "LS Poisson arrivals per second (default: 200)");
  simulate->add_option("--seconds", options->seconds, "virtual seconds to simulate (default: 30)");
  simulate->add_option("--warmup", options->warmup,
                       "virtual seconds not counted at the start (default: 0.5)");
  simulate->add_option("--seed", options->seed, "seed of the LS arrivals (default: 1)");
  simulate->add_option("--ls-groups", options->ls_groups, "LS SM bounds MIN:MAX in groups (default: 0:all)");
  simulate->add_option("--be-groups", options->be_groups, "BE SM bounds MIN:MAX in groups (default: 1:all)");
  simulate->add_option("--ls-segment", options->ls_segment,
                       "LS steps per launch, 0: the whole request (default: 1)");
  simulate->add_option("--be-segment", options->be_segment,
                       "BE steps per launch, 0: the whole request (default: 1)");
  simulate->add_option(
      "--groups", options->groups,
      "resample both profiles to this many SM groups (the H200's driver split: 15); default: "
      "the profiles' own");
  simulate->add_option("--budget", options->budget, "missile: LS slowdown budget (default: 0.05)");
  simulate->add_option("--orion-threshold", options->orion_threshold,
                       "orion: most SMs a BE kernel may need beside LS (default 0: what LS leaves)");
  simulate->add_option("--launch-latency-us", options->launch_latency_us,
                       "from a launch to the kernel reaching the GPU (default: 2)");
  simulate->add_flag("--no-copies", options->no_copies, "do not model the PCIe copies of inputs and outputs");
  simulate->add_flag("--json", options->json, "print the results as JSON");
  return {simulate, [options] { return Simulate(*options); }};
}

}  // namespace missile::cli
