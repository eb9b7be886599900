// The colocation benchmark on the GPU (issue 4, acceptance 3 and 5): an LS tenant (ResNet-50 batch 1 fp16,
// Poisson arrivals) beside a closed-loop BE tenant (ResNet-152 batch 32 fp16), through the compute scheduler
// and the CUDA launcher under each policy, against both tenants alone with no scheduler, plus each tenant
// alone under `missile` (the scheduler's own overhead).
//
//   missile_colocation_bench --ls-model resnet50.onnx --be-model resnet152-bs32.onnx
//       --ls-profile data/profiles/resnet50-bs1-fp16.json --be-profile data/profiles/resnet152-bs32-fp16.json
//       [--rate 200] [--seconds 30] [--warmup 2] [--seed 1] [--runs all] [--partitions auto|none]
//       [--ls-segment 0] [--be-segment 4] [--ls-groups 0:all] [--be-groups 1:all] [--budget 0.05]
//       [--no-graphs] [--json out.json] [--markdown out.md]
//
// Every launch replays a CUDA graph of its segment (the LS request whole, BE --be-segment steps at a time);
// the baselines replay the whole request as one graph, the engine's fastest mode.
//
// LS latency runs from the request's (scheduled) arrival until its outputs are in host memory: input copy,
// kernels, output copy, and any wait. BE throughput counts images of the requests completed after the
// warm-up. Every run sees the same LS arrivals (the simulator's generator and seed), so the GPU's numbers sit
// next to `missile simulate`'s for the same scenario.
#include <cuda_runtime.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "colocation_runs.h"
#include "device/cuda/cuda_status.h"
#include "partition_setup.h"
#include "runtime/session.h"
#include "sched/profile_alignment.h"
#include "sim/poisson_arrivals.h"

namespace missile::bench {
namespace {

using nlohmann::ordered_json;

struct Options {
  std::string ls_model, be_model, ls_profile, be_profile;
  double rate = 200;
  double seconds = 30;
  double warmup = 2;
  uint64_t seed = 1;
  int be_batch = 32;
  std::string runs = "all";
  std::string partitions = "auto";
  size_t ls_segment = 0;
  size_t be_segment = 4;
  std::string ls_groups = "0:all";
  std::string be_groups = "1:all";
  double budget = 0.05;
  int orion_threshold = 0;
  bool no_graphs = false;
  std::string json_path, markdown_path;
};

const std::vector<std::string> kAllRuns = {"ls-alone", "be-alone", "ls-alone-missile", "be-alone-missile",
                                           "temporal", "shared",   "priority",         "static",
                                           "orion",    "missile"};

Result<sched::SmBounds> ParseBounds(const std::string& text) {
  const size_t colon = text.find(':');
  sched::SmBounds bounds;
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    bounds.min_groups = std::stoi(text.substr(0, colon));
    const std::string max = text.substr(colon + 1);
    bounds.max_groups = max == "all" ? sched::kAllGroups : std::stoi(max);
  } catch (const std::exception&) {
    return Error(ErrorCode::kInvalidArgument,
                 "SM bounds must be MIN:MAX in groups (MAX may be 'all'), got '{}'", text);
  }
  if (bounds.min_groups < 0 || bounds.max_groups < 1 || bounds.min_groups > bounds.max_groups) {
    return Error(ErrorCode::kInvalidArgument, "SM bounds '{}' must satisfy 0 <= MIN <= MAX, MAX >= 1", text);
  }
  return bounds;
}

Result<RunSpec> ParseRunName(const std::string& name) {
  const auto run = [&](std::string policy, bool with_ls, bool with_be) {
    RunSpec spec;
    spec.name = name;
    spec.policy = std::move(policy);
    spec.with_ls = with_ls;
    spec.with_be = with_be;
    return spec;
  };
  if (name == "ls-alone") return run("", true, false);
  if (name == "be-alone") return run("", false, true);
  if (name == "ls-alone-missile") return run("missile", true, false);
  if (name == "be-alone-missile") return run("missile", false, true);
  for (const std::string& policy : sched::PolicyNames()) {
    if (name == policy) return run(policy, true, true);
  }
  return Error(ErrorCode::kInvalidArgument, "unknown run '{}' (runs: all, or a comma list of {})", name,
               fmt::join(kAllRuns, ", "));
}

// NAME or NAME@KEY=VALUE@...: a scheduled run with its own BE segment (seg=N), BE bounds (be=MIN:MAX) or
// missile budget (budget=X), for comparing variants in one invocation.
Result<RunSpec> ParseRun(const std::string& token) {
  std::vector<std::string> parts;
  std::stringstream stream(token);
  for (std::string part; std::getline(stream, part, '@');) parts.push_back(part);
  if (parts.empty()) return Error(ErrorCode::kInvalidArgument, "empty run name");
  MISSILE_ASSIGN_OR_RETURN(RunSpec spec, ParseRunName(parts[0]));
  spec.name = token;
  if (parts.size() > 1 && spec.policy.empty()) {
    return Error(ErrorCode::kInvalidArgument, "run '{}': settings apply to scheduled runs only", token);
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    const std::string key = parts[i].substr(0, eq),
                      value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    try {
      if (key == "seg") {
        spec.be_segment = static_cast<size_t>(std::stoul(value));
      } else if (key == "budget") {
        spec.budget = std::stod(value);
      } else if (key == "be") {
        MISSILE_ASSIGN_OR_RETURN(spec.be_bounds, ParseBounds(value));
      } else {
        throw std::invalid_argument(key);
      }
    } catch (const std::exception&) {
      return Error(ErrorCode::kInvalidArgument, "run '{}': '{}' is not seg=N, be=MIN:MAX or budget=X", token,
                   parts[i]);
    }
  }
  return spec;
}

// Seeded random inputs at the model's declared shapes; a symbolic first dimension is the batch, others 1.
runtime::NamedTensors MakeInputs(const graph::Graph& model, int batch) {
  runtime::NamedTensors inputs;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const graph::InputSignature& signature = model.input_signatures()[i];
    Shape shape;
    for (size_t d = 0; d < signature.dims.size(); ++d) {
      const graph::Dim& dim = signature.dims[d];
      shape.push_back(dim.known() ? dim.value : (d == 0 ? batch : 1));
    }
    Tensor tensor(signature.dtype, shape);
    if (signature.dtype == DataType::kFloat32) {
      for (int64_t k = 0; k < tensor.num_elements(); ++k) tensor.data<float>()[k] = uniform(rng);
    }
    inputs.emplace(model.value(model.inputs()[i]).name, std::move(tensor));
  }
  return inputs;
}

struct LoadedTenant {
  std::unique_ptr<runtime::Session> session;
  runtime::NamedTensors inputs;
  GpuTenant tenant;
  std::string profile_source;
  std::vector<std::string> placeholders;
};

Result<LoadedTenant> Load(const std::string& name, const std::string& model_path,
                          const std::string& profile_path, int batch, const sched::SmBounds& bounds,
                          size_t segment, const sched::GpuLayout& layout) {
  LoadedTenant loaded;
  runtime::SessionOptions options;
  options.backend = "cuda";
  options.precision = runtime::Precision::kFp16;
  MISSILE_ASSIGN_OR_RETURN(loaded.session, runtime::Session::Load(model_path, options));
  loaded.inputs = MakeInputs(loaded.session->model(), batch);
  MISSILE_ASSIGN_OR_RETURN(runtime::Executable * executable, loaded.session->Prepare(loaded.inputs));
  auto* cuda_executable = dynamic_cast<runtime::cuda::CudaExecutable*>(executable);
  if (cuda_executable == nullptr) return Error(ErrorCode::kInternal, "{}: not a CUDA executable", model_path);
  // Staged once: every request copies these inputs to the GPU again.
  std::vector<const Tensor*> ordered;
  for (graph::ValueId in : loaded.session->model().inputs()) {
    ordered.push_back(&loaded.inputs.at(loaded.session->model().value(in).name));
  }
  cuda_executable->StageInputs(ordered);

  MISSILE_ASSIGN_OR_RETURN(sched::ModelProfile profile, sched::LoadModelProfile(profile_path));
  std::vector<std::string> steps;
  for (const plan::Step& step : cuda_executable->plan().steps()) {
    steps.push_back(cuda_executable->graph().nodes()[static_cast<size_t>(step.node)].name);
  }
  MISSILE_ASSIGN_OR_RETURN(sched::AlignedProfile aligned, sched::AlignProfileToSteps(profile, steps));
  // The scheduler plans in the device's own split of the SMs.
  MISSILE_ASSIGN_OR_RETURN(aligned.profile, sched::ResampleProfile(aligned.profile, layout));
  const int model_batch = static_cast<int>(loaded.inputs.begin()->second.shape()[0]);
  if (aligned.profile.batch != model_batch) {
    return Error(ErrorCode::kInvalidArgument, "{}: the profile is for batch {}, the model runs batch {}",
                 profile_path, aligned.profile.batch, model_batch);
  }
  loaded.profile_source = aligned.profile.source;
  loaded.placeholders = aligned.placeholders;
  loaded.tenant.name = name;
  loaded.tenant.executable = cuda_executable;
  loaded.tenant.profile = std::make_shared<const sched::ModelProfile>(std::move(aligned.profile));
  loaded.tenant.batch = model_batch;
  loaded.tenant.bounds = bounds;
  loaded.tenant.segment_steps = segment;
  return loaded;
}

std::vector<double> Arrivals(double rate, uint64_t seed, double duration_s) {
  // The simulator's stream for its first tenant (sim/simulation.cpp), so both see the same requests.
  sim::PoissonArrivals arrivals(rate, seed * 1000003 + 0);
  std::vector<double> at;
  double t = 0;
  while (true) {
    t += arrivals.NextGapNs() * 1e-9;
    if (t >= duration_s) return at;
    at.push_back(t);
  }
}

ordered_json SummaryJson(const sim::LatencySummary& s) {
  return {{"requests", s.count},  {"p50_ms", s.p50_ms},   {"p99_ms", s.p99_ms},
          {"p999_ms", s.p999_ms}, {"mean_ms", s.mean_ms}, {"max_ms", s.max_ms}};
}

const RunResult* Find(const std::vector<RunResult>& runs, const std::string& name) {
  for (const RunResult& r : runs) {
    if (r.spec.name == name) return &r;
  }
  return nullptr;
}

struct Check {
  std::string name;
  bool met = false;
  std::string detail;
};

std::vector<Check> Acceptance(const std::vector<RunResult>& runs) {
  std::vector<Check> checks;
  const RunResult* ls_alone = Find(runs, "ls-alone");
  const RunResult* be_alone = Find(runs, "be-alone");
  const RunResult* missile = Find(runs, "missile");
  if (ls_alone != nullptr && be_alone != nullptr && missile != nullptr) {
    const double p99 = missile->ls.p99_ms / ls_alone->ls.p99_ms;
    const double be = missile->be_items_per_s / be_alone->be_items_per_s;
    checks.push_back({"3a: missile LS p99 <= 1.10x LS alone", p99 <= 1.10, fmt::format("{:.3f}x", p99)});
    checks.push_back({"3b: missile BE >= 0.70 of BE alone", be >= 0.70, fmt::format("{:.3f}", be)});
    for (const char* other : {"shared", "priority", "orion"}) {
      const RunResult* o = Find(runs, other);
      if (o == nullptr) continue;
      const bool lower = missile->ls.p99_ms < o->ls.p99_ms;
      const double be_ratio = o->be_items_per_s > 0 ? missile->be_items_per_s / o->be_items_per_s : 0;
      checks.push_back({fmt::format("3c: missile beats {} on LS p99 at >= 0.9x its BE", other),
                        lower && be_ratio >= 0.9,
                        fmt::format("LS p99 {:.3f} vs {:.3f} ms, BE {:.2f}x of {}'s", missile->ls.p99_ms,
                                    o->ls.p99_ms, be_ratio, other)});
    }
  }
  const RunResult* ls_missile = Find(runs, "ls-alone-missile");
  if (ls_alone != nullptr && ls_missile != nullptr) {
    const double ratio = ls_missile->ls.p50_ms / ls_alone->ls.p50_ms;
    checks.push_back({"5: LS alone under missile p50 within 5% of no scheduler", std::abs(ratio - 1) <= 0.05,
                      fmt::format("{:.3f} vs {:.3f} ms ({:+.1f}%)", ls_missile->ls.p50_ms,
                                  ls_alone->ls.p50_ms, (ratio - 1) * 100)});
  }
  return checks;
}

std::string Table(const std::vector<RunResult>& runs) {
  const RunResult* ls_alone = Find(runs, "ls-alone");
  const RunResult* be_alone = Find(runs, "be-alone");
  std::string table =
      "| run | scheduler | LS p50 (ms) | LS p99 (ms) | LS p99.9 (ms) | LS p99 vs alone | BE img/s | BE vs "
      "alone | "
      "launches | host us/launch |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const RunResult& r : runs) {
    std::string ls = "- | - | - | -", be = "- | -", launches = "- | -";
    if (r.spec.with_ls) {
      ls = fmt::format("{:.3f} | {:.3f} | {:.3f} | {}", r.ls.p50_ms, r.ls.p99_ms, r.ls.p999_ms,
                       ls_alone != nullptr ? fmt::format("{:.2f}x", r.ls.p99_ms / ls_alone->ls.p99_ms) : "-");
    }
    if (r.spec.with_be) {
      be = fmt::format(
          "{:.0f} | {}", r.be_items_per_s,
          be_alone != nullptr ? fmt::format("{:.2f}", r.be_items_per_s / be_alone->be_items_per_s) : "-");
    }
    if (r.launcher.has_value() && r.launcher->launches > 0) {
      launches = fmt::format("{} | {:.1f}", r.launcher->launches,
                             r.launcher->enqueue_seconds / static_cast<double>(r.launcher->launches) * 1e6);
    }
    table += fmt::format("| {} | {} | {} | {} | {} |\n", r.spec.name,
                         r.spec.policy.empty() ? "none" : r.spec.policy, ls, be, launches);
  }
  return table;
}

Result<int> Main(const Options& options) {
  if (!(options.rate > 0)) return Error(ErrorCode::kInvalidArgument, "--rate must be > 0");
  if (!(options.seconds > options.warmup) || options.warmup < 0) {
    return Error(ErrorCode::kInvalidArgument, "--seconds must exceed --warmup (>= 0)");
  }
  if (options.be_batch < 1) return Error(ErrorCode::kInvalidArgument, "--be-batch must be >= 1");
  std::vector<RunSpec> specs;
  std::vector<std::string> names = options.runs == "all" ? kAllRuns : std::vector<std::string>{};
  if (options.runs != "all") {
    std::stringstream list(options.runs);
    for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  }
  for (const std::string& name : names) {
    MISSILE_ASSIGN_OR_RETURN(RunSpec spec, ParseRun(name));
    specs.push_back(spec);
  }
  MISSILE_ASSIGN_OR_RETURN(const sched::SmBounds ls_bounds, ParseBounds(options.ls_groups));
  MISSILE_ASSIGN_OR_RETURN(const sched::SmBounds be_bounds, ParseBounds(options.be_groups));

  cudaDeviceProp prop{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, 0));
  std::cout << "device: " << prop.name << ", " << prop.multiProcessorCount << " SMs" << std::endl;
  const sched::GpuLayout layout = DeviceLayout(options.partitions, prop.multiProcessorCount);
  std::cout << "SM layout: " << layout.ToString() << std::endl;
  const auto load_start = Clock::now();
  MISSILE_ASSIGN_OR_RETURN(LoadedTenant ls,
                           Load("LS " + options.ls_model, options.ls_model, options.ls_profile, 1, ls_bounds,
                                options.ls_segment, layout));
  // The BE model only where a run needs it (LS-only runs skip its export and load).
  const bool needs_be = std::any_of(specs.begin(), specs.end(), [](const RunSpec& s) { return s.with_be; });
  LoadedTenant be;
  if (needs_be) {
    MISSILE_ASSIGN_OR_RETURN(be, Load("BE " + options.be_model, options.be_model, options.be_profile,
                                      options.be_batch, be_bounds, options.be_segment, layout));
  }
  const size_t be_steps = needs_be ? be.tenant.executable->step_count() : 0;
  std::cout << fmt::format(
                   "loaded in {:.1f} s: LS {} steps (profile '{}', {} placeholder steps: {}), BE {} steps "
                   "(profile '{}', {} placeholders: {})",
                   std::chrono::duration<double>(Clock::now() - load_start).count(),
                   ls.tenant.executable->step_count(), ls.profile_source, ls.placeholders.size(),
                   fmt::join(ls.placeholders, ", "), be_steps, be.profile_source, be.placeholders.size(),
                   fmt::join(be.placeholders, ", "))
            << std::endl;

  MISSILE_ASSIGN_OR_RETURN(PartitionSetup partitions,
                           SetUpPartitions(options.partitions, ls.tenant, ls.tenant.profile->layout));
  std::cout << "partitions: " << partitions.streams->description() << std::endl;
  if (!partitions.note.empty()) std::cout << "  " << partitions.note << std::endl;

  Workload workload;
  workload.ls = ls.tenant;
  workload.be = be.tenant;
  workload.duration_s = options.seconds;
  workload.warmup_s = options.warmup;
  workload.ls_arrivals_s = Arrivals(options.rate, options.seed, options.seconds);
  workload.graphs = !options.no_graphs;
  workload.policy_options.missile_slowdown_budget = options.budget;
  workload.policy_options.orion_sm_threshold = options.orion_threshold;
  MISSILE_RETURN_IF_ERROR(workload.policy_options.Validate());

  std::vector<RunResult> runs;
  ordered_json failures = ordered_json::array();
  for (const RunSpec& spec : specs) {
    Result<RunResult> run = spec.policy.empty() ? RunDirect(workload, spec, *partitions.streams)
                                                : RunScheduled(workload, spec, *partitions.streams);
    if (!run.ok()) {
      // The other runs still tell something: report this one as failed and go on.
      std::cout << fmt::format("{:<18} FAILED: {}", spec.name, run.status().ToString()) << std::endl;
      failures.push_back({{"run", spec.name}, {"error", run.status().ToString()}});
      continue;
    }
    std::cout << fmt::format(
                     "{:<18} LS p50/p99/p99.9 {:.3f}/{:.3f}/{:.3f} ms ({} requests)  BE {:.0f} img/s  "
                     "invalid decisions {}",
                     spec.name, run->ls.p50_ms, run->ls.p99_ms, run->ls.p999_ms, run->ls.count,
                     run->be_items_per_s, run->invalid_decisions)
              << std::endl;
    runs.push_back(std::move(run).value());
  }
  const std::string table = Table(runs);
  const std::vector<Check> checks = Acceptance(runs);
  std::cout << "\n" << table << "\n";
  for (const Check& c : checks)
    std::cout << (c.met ? "MET    " : "MISSED ") << c.name << ": " << c.detail << "\n";

  ordered_json json;
  json["benchmark"] = "colocation";
  json["device"] = prop.name;
  json["partitions"] = {{"partitioned", partitions.streams->partitioned()},
                        {"description", partitions.streams->description()},
                        {"note", partitions.note}};
  json["scenario"] = {{"ls_model", options.ls_model},
                      {"be_model", options.be_model},
                      {"ls_profile", options.ls_profile},
                      {"ls_profile_source", ls.profile_source},
                      {"ls_placeholder_steps", ls.placeholders},
                      {"be_profile", options.be_profile},
                      {"be_profile_source", be.profile_source},
                      {"be_placeholder_steps", be.placeholders},
                      {"precision", "fp16"},
                      {"ls_rate", options.rate},
                      {"ls_requests_scheduled", workload.ls_arrivals_s.size()},
                      {"be_batch", be.tenant.batch},
                      {"seconds", options.seconds},
                      {"warmup_s", options.warmup},
                      {"seed", options.seed},
                      {"ls_segment_steps", options.ls_segment},
                      {"be_segment_steps", options.be_segment},
                      {"graphs", workload.graphs},
                      {"ls_groups", options.ls_groups},
                      {"be_groups", options.be_groups},
                      {"missile_budget", options.budget},
                      {"orion_threshold", options.orion_threshold},
                      {"ls_steps", ls.tenant.executable->step_count()},
                      {"be_steps", be_steps}};
  ordered_json run_json = ordered_json::array();
  for (const RunResult& r : runs) {
    ordered_json j = {{"run", r.spec.name},
                      {"policy", r.spec.policy.empty() ? "none" : r.spec.policy},
                      {"wall_s", r.wall_s}};
    if (r.spec.with_ls) j["ls"] = SummaryJson(r.ls), j["ls_failed"] = r.ls_failed;
    if (r.spec.with_be) {
      j["be"] = {{"requests", r.be_requests}, {"items_per_s", r.be_items_per_s}, {"failed", r.be_failed}};
    }
    if (r.launcher.has_value()) {
      j["settings"] = {{"be_segment_steps", r.spec.be_segment.value_or(options.be_segment)},
                       {"be_groups", r.spec.be_bounds.has_value()
                                         ? fmt::format("{}:{}", r.spec.be_bounds->min_groups,
                                                       r.spec.be_bounds->max_groups >= sched::kAllGroups
                                                           ? std::string("all")
                                                           : std::to_string(r.spec.be_bounds->max_groups))
                                         : options.be_groups},
                       {"missile_budget", r.spec.budget.value_or(options.budget)}};
      j["launcher"] = {{"launches", r.launcher->launches},
                       {"steps", r.launcher->steps},
                       {"paced_launches", r.launcher->paced_launches},
                       {"pace_seconds", r.launcher->pace_seconds},
                       {"graph_launches", r.launcher->graph_launches},
                       {"graphs_captured", r.launcher->graphs_captured},
                       {"failed_launches", r.launcher->failed_launches},
                       {"enqueue_seconds", r.launcher->enqueue_seconds}};
      j["invalid_decisions"] = r.invalid_decisions;
    }
    run_json.push_back(j);
  }
  json["runs"] = run_json;
  json["failed_runs"] = failures;
  ordered_json check_json = ordered_json::array();
  for (const Check& c : checks)
    check_json.push_back({{"check", c.name}, {"met", c.met}, {"detail", c.detail}});
  json["acceptance"] = check_json;
  if (!options.json_path.empty()) {
    std::ofstream(options.json_path) << json.dump(2) << "\n";
  }
  if (!options.markdown_path.empty()) {
    std::ofstream out(options.markdown_path);
    out << table << "\n";
    for (const Check& c : checks)
      out << "- " << (c.met ? "met" : "**missed**") << ": " << c.name << " (" << c.detail << ")\n";
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace
}  // namespace missile::bench

int main(int argc, char** argv) {
  missile::bench::Options options;
  CLI::App app{"LS beside BE on the GPU under each scheduling policy (issue 4)"};
  app.add_option("--ls-model", options.ls_model, "LS model (ONNX), batch 1")->required();
  app.add_option("--be-model", options.be_model, "BE model (ONNX)")->required();
  app.add_option("--ls-profile", options.ls_profile, "LS kernel profile (JSON)")->required();
  app.add_option("--be-profile", options.be_profile, "BE kernel profile (JSON)")->required();
  app.add_option("--rate", options.rate, "LS Poisson arrivals per second");
  app.add_option("--seconds", options.seconds, "length of each run");
  app.add_option("--warmup", options.warmup, "seconds at the start of each run not counted");
  app.add_option("--seed", options.seed, "seed of the LS arrivals");
  app.add_option("--be-batch", options.be_batch, "BE batch where the model's batch is symbolic");
  app.add_option("--runs", options.runs,
                 "all, or a comma list of: ls-alone, be-alone, ls-alone-missile, "
                 "be-alone-missile, temporal, shared, priority, static, orion, missile; a scheduled run may "
                 "add its own settings: NAME@seg=N@be=MIN:MAX@budget=X");
  app.add_option(
      "--partitions", options.partitions,
      "auto: green-context SM partitions where they can be made and give correct results, else the "
      "whole GPU; none: the whole GPU (stream priorities only)");
  app.add_option("--ls-segment", options.ls_segment,
                 "LS steps per launch; 0: the whole request as a CUDA graph");
  app.add_option("--be-segment", options.be_segment, "BE steps per launch; 0: the whole request");
  app.add_option("--ls-groups", options.ls_groups, "LS SM bounds MIN:MAX in groups of 8");
  app.add_option("--be-groups", options.be_groups, "BE SM bounds MIN:MAX in groups of 8");
  app.add_option("--budget", options.budget, "missile's LS slowdown budget");
  app.add_option("--orion-threshold", options.orion_threshold, "orion's SM threshold (0: automatic)");
  app.add_flag("--no-graphs", options.no_graphs,
               "enqueue kernels call by call instead of replaying CUDA graphs of each launch");
  app.add_option("--json", options.json_path, "write the results as JSON");
  app.add_option("--markdown", options.markdown_path, "write the table and the acceptance checks");
  CLI11_PARSE(app, argc, argv);
  auto result = missile::bench::Main(options);
  if (!result.ok()) {
    std::cerr << "error: " << result.status().ToString() << std::endl;
    return 1;
  }
  return *result;
}
