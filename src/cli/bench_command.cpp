// `missile bench`: the load generator. Drives a running server over HTTP (or the engine in-process, or both
// to measure what serving adds) with one or more streams (closed loop, Poisson, trace replay, the DISB REAL
// workload), prints a per-stream table and writes JSON, a Markdown table and SVG plots.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "loadgen/http_client.h"
#include "loadgen/inproc_client.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"
#include "server/server_config.h"

namespace missile::cli {
namespace {

using nlohmann::json;

struct BenchOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string mode = "http";
  std::string config;
  std::string workload;
  std::string model;
  int closed = 0;
  double poisson = 0;
  std::string trace;
  std::string trace_unit = "ms";
  std::string disb;
  std::vector<std::string> model_map;
  bool model_per_task = false;
  bool trace_only = false;
  double time_scale = 1.0;
  int be_concurrency = 1;
  double duration = 0;
  double warmup = -1;
  bool json_tensors = false;
  int max_outstanding = 64;
  uint64_t seed = 1;
  double timeout = 60;
  int busy_poll_us = 0;
  int socket_buffer_bytes = 0;
  int rounds = 1;
  bool shared_memory = false;
  bool timeline = false;
  std::string out;
  bool quiet = false;
  bool fail_on_error = false;
};

// Re-draws every Poisson stream's arrivals for the run's final duration.
void DrawPoissonArrivals(loadgen::Workload& workload) {
  for (loadgen::StreamSpec& stream : workload.streams) {
    if (stream.pattern.kind == loadgen::ArrivalPattern::Kind::kPoisson) {
      stream.pattern.arrivals_s =
          loadgen::PoissonArrivals(stream.pattern.rate, workload.duration_s, stream.pattern.seed);
    }
  }
}

Result<loadgen::Workload> BuildWorkload(const BenchOptions& options) {
  const int sources = !options.workload.empty() + !options.disb.empty() + !options.model.empty();
  if (sources != 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "give exactly one of --workload FILE, --disb FILE and --model NAME");
  }
  loadgen::Workload workload;
  if (!options.workload.empty()) {
    MISSILE_ASSIGN_OR_RETURN(workload, loadgen::LoadWorkload(options.workload));
  } else if (!options.disb.empty()) {
    loadgen::DisbOptions disb;
    for (const std::string& entry : options.model_map) {
      const size_t eq = entry.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
        return Error(ErrorCode::kInvalidArgument, "--map '{}': write TRACE_MODEL=SERVED_MODEL", entry);
      }
      disb.model_map[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    disb.model_per_task = options.model_per_task;
    disb.trace_tasks_only = options.trace_only;
    disb.time_scale = options.time_scale;
    disb.be_concurrency = options.be_concurrency;
    disb.max_outstanding = options.max_outstanding;
    MISSILE_ASSIGN_OR_RETURN(loadgen::DisbTrace trace, loadgen::LoadDisbTrace(options.disb));
    MISSILE_ASSIGN_OR_RETURN(workload, loadgen::WorkloadFromDisb(trace, disb));
  } else {
    const int patterns = (options.closed > 0) + (options.poisson > 0) + !options.trace.empty();
    if (patterns != 1) {
      return Error(ErrorCode::kInvalidArgument,
                   "--model needs exactly one of --closed N, --poisson RATE, --trace FILE");
    }
    loadgen::StreamSpec stream;
    stream.name = options.model;
    stream.model = options.model;
    stream.max_outstanding = options.max_outstanding;
    if (options.closed > 0) {
      stream.pattern.kind = loadgen::ArrivalPattern::Kind::kClosedLoop;
      stream.pattern.concurrency = options.closed;
    } else if (options.poisson > 0) {
      stream.pattern.kind = loadgen::ArrivalPattern::Kind::kPoisson;
      stream.pattern.rate = options.poisson;
      stream.pattern.seed = options.seed;
    } else {
      MISSILE_ASSIGN_OR_RETURN(loadgen::TimeUnit unit, loadgen::ParseTimeUnit(options.trace_unit));
      stream.pattern.kind = loadgen::ArrivalPattern::Kind::kTrace;
      MISSILE_ASSIGN_OR_RETURN(stream.pattern.arrivals_s, loadgen::LoadTimestampFile(options.trace, unit));
      for (double& t : stream.pattern.arrivals_s) t *= options.time_scale;
      stream.pattern.source = options.trace;
      workload.duration_s = stream.pattern.arrivals_s.back() + 1.0;
    }
    workload.streams.push_back(std::move(stream));
  }
  if (options.duration > 0) workload.duration_s = options.duration;
  if (options.warmup >= 0) workload.warmup_s = options.warmup;
  DrawPoissonArrivals(workload);
  MISSILE_RETURN_IF_ERROR(loadgen::ValidateWorkload(workload));
  return workload;
}

// One target of the run (in-process or HTTP) and the rounds it has run.
struct Target {
  std::string name;  // "inproc" or "http": the JSON's key
  std::unique_ptr<loadgen::ClientFactory> factory;
  std::vector<loadgen::RunOutcome> rounds;
};

// Runs every target's rounds, alternating targets round by round (with --rounds 1: each target once, in
// order), then prints each target's table.
Result<std::vector<loadgen::RunReport>> RunTargets(const loadgen::Workload& workload,
                                                   std::vector<Target>& targets,
                                                   const BenchOptions& options) {
  for (int r = 0; r < options.rounds; ++r) {
    MISSILE_ASSIGN_OR_RETURN(const loadgen::Workload round, loadgen::RoundOf(workload, options.rounds, r));
    for (Target& target : targets) {
      const std::string which =
          options.rounds > 1 ? fmt::format(", round {} of {}", r + 1, options.rounds) : "";
      std::cerr << fmt::format("missile bench: {} streams against {} for {:.0f} s{}\n", round.streams.size(),
                               target.factory->Describe(), round.duration_s, which);
      MISSILE_ASSIGN_OR_RETURN(loadgen::RunOutcome outcome,
                               loadgen::RunWorkload(round, *target.factory, {!options.quiet}));
      target.rounds.push_back(std::move(outcome));
    }
  }
  std::vector<loadgen::RunReport> reports;
  for (Target& target : targets) {
    reports.push_back(loadgen::BuildReport(loadgen::ConcatenateRounds(std::move(target.rounds))));
    std::cout << loadgen::FormatTable(reports.back()) << std::flush;
  }
  return reports;
}

std::string UtcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

json OptionsJson(const BenchOptions& o) {
  return {{"url", o.url},
          {"mode", o.mode},
          {"config", o.config},
          {"workload", o.workload},
          {"model", o.model},
          {"closed", o.closed},
          {"poisson", o.poisson},
          {"trace", o.trace},
          {"disb", o.disb},
          {"map", o.model_map},
          {"model_per_task", o.model_per_task},
          {"trace_only", o.trace_only},
          {"time_scale", o.time_scale},
          {"be_concurrency", o.be_concurrency},
          {"duration", o.duration},
          {"warmup", o.warmup},
          {"binary_tensors", !o.json_tensors},
          {"busy_poll_us", o.busy_poll_us},
          {"socket_buffer_bytes", o.socket_buffer_bytes},
          {"rounds", o.rounds},
          {"shared_memory", o.shared_memory},
          {"timeline", o.timeline},
          {"seed", o.seed}};
}

int Bench(const BenchOptions& options) {
  signal(SIGPIPE, SIG_IGN);
  if (options.mode != "http" && options.mode != "inproc" && options.mode != "both") {
    return ReportError(
        Error(ErrorCode::kInvalidArgument, "--mode '{}' is not http, inproc or both", options.mode));
  }
  if (options.mode != "http" && options.config.empty()) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "--mode {} loads the models in-process: give the server's --config",
                             options.mode));
  }
  auto workload = BuildWorkload(options);
  if (!workload.ok()) return ReportError(workload.status());
  // A workload that cannot be split fails here, before any model loads.
  if (auto round = loadgen::RoundOf(*workload, options.rounds, 0); !round.ok()) {
    return ReportError(round.status().WithContext("--rounds"));
  }

  json results{{"date", UtcNow()},
               {"machine",
                {{"host",
                  [] {
                    char name[256] = {};
                    gethostname(name, sizeof(name) - 1);
                    return std::string(name);
                  }()},
                 {"cpus", std::thread::hardware_concurrency()}}},
               {"options", OptionsJson(options)}};
  std::vector<Target> targets;
  const loadgen::HttpClientFactory* http_factory = nullptr;  // owned by targets
  if (options.mode != "http") {
    auto config = server::LoadServerConfig(options.config);
    if (!config.ok()) return ReportError(config.status());
    targets.push_back(
        {"inproc",
         std::make_unique<loadgen::InProcessClientFactory>(std::move(config).value(), options.seed),
         {}});
  }
  if (options.mode != "inproc") {
    loadgen::HttpClientOptions client;
    client.binary_tensors = !options.json_tensors;
    client.timeout_s = options.timeout;
    client.seed = options.seed;
    client.busy_poll_us = options.busy_poll_us;
    client.socket_buffer_bytes = options.socket_buffer_bytes;
    client.shared_memory = options.shared_memory;
    client.timeline = options.timeline;
    auto factory = loadgen::HttpClientFactory::Create(options.url, client);
    if (!factory.ok()) return ReportError(factory.status());
    http_factory = factory->get();
    targets.push_back({"http", std::move(factory).value(), {}});
  }
  auto reports = RunTargets(*workload, targets, options);
  if (!reports.ok()) return ReportError(reports.status());
  std::optional<loadgen::RunReport> inproc;
  std::optional<loadgen::RunReport> http;
  for (size_t i = 0; i < targets.size(); ++i) {
    results[targets[i].name] = loadgen::ReportToJson((*reports)[i]);
    (targets[i].name == "inproc" ? inproc : http) = std::move((*reports)[i]);
  }
  if (inproc && http) {
    std::cout << loadgen::FormatOverhead(*inproc, *http) << std::flush;
    results["overhead_us"] = loadgen::OverheadToJson(*inproc, *http);
  }
  if (http_factory != nullptr && http_factory->timeline() != nullptr) {
    std::cout << http_factory->timeline()->Format() << std::flush;
    results["http_timeline"] = http_factory->timeline()->Summary();
  }

  if (!options.out.empty()) {
    const std::filesystem::path out(options.out);
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec)
      return ReportError(
          Error(ErrorCode::kInvalidArgument, "cannot create '{}': {}", options.out, ec.message()));
    std::ofstream(out / "results.json") << results.dump(2) << "\n";
    std::string markdown;
    for (const auto& [name, report] : {std::pair{"inproc", &inproc}, std::pair{"http", &http}}) {
      if (!*report) continue;
      markdown +=
          fmt::format("### {} ({})\n\n{}\n", name, (*report)->target, loadgen::FormatMarkdown(**report));
      const std::string prefix = inproc && http ? std::string(name) + "-" : "";
      Status plotted =
          loadgen::WritePlots(**report, out, prefix, prefix.empty() ? "" : std::string(name) + ": ");
      if (!plotted.ok()) return ReportError(plotted);
    }
    std::ofstream(out / "summary.md") << markdown;
    std::cerr << fmt::format("missile bench: wrote {}/results.json, summary.md and the plots\n", options.out);
  }
  const uint64_t failed = (inproc ? inproc->total_failed() : 0) + (http ? http->total_failed() : 0);
  return options.fail_on_error && failed > 0 ? 3 : 0;
}

}  // namespace

Command AddBenchCommand(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Load generator: closed loop, Poisson or trace replay against a server or in-process (docs/server.md)");
  bench->add_option("--url", o->url, "the server, http://host:port")->capture_default_str();
  bench->add_option("--mode", o->mode, "http, inproc (the engine alone) or both (prints what serving adds)")
      ->capture_default_str();
  bench->add_option("--config", o->config, "the server configuration (for --mode inproc/both: the models)");
  bench->add_option("--workload", o->workload,
                    "workload file (JSON): several streams, each with its pattern");
  bench->add_option("--model", o->model, "one stream to this model (with --closed, --poisson or --trace)");
  bench->add_option("--closed", o->closed, "closed loop with N requests outstanding");
  bench->add_option("--poisson", o->poisson, "Poisson arrivals at RATE per second");
  bench->add_option("--trace", o->trace, "replay a file of timestamps, one per line");
  bench->add_option("--trace-unit", o->trace_unit, "unit of --trace timestamps: s, ms or us")
      ->capture_default_str();
  bench->add_option("--disb", o->disb, "replay a DISB workload (e.g. ../shared/data/disb-real-trace.json)");
  bench->add_option("--map", o->model_map, "--disb: TASK_ID=MODEL or TRACE_MODEL=MODEL, as often as needed");
  bench->add_flag("--model-per-task", o->model_per_task,
                  "--disb: send each task to the model named after its id (each task its own tenant)");
  bench->add_flag("--trace-only", o->trace_only, "--disb: leave the continuous (best-effort) tasks out");
  bench->add_option("--time-scale", o->time_scale, "multiply trace offsets by this (2: half the rate)")
      ->capture_default_str();
  bench->add_option("--be-concurrency", o->be_concurrency, "--disb: requests outstanding per continuous task")
      ->capture_default_str();
  bench->add_option("--duration", o->duration, "run length in seconds (default 30, or the trace's length)");
  bench->add_option("--warmup", o->warmup, "seconds at the start left out of the statistics");
  bench->add_flag("--json-tensors", o->json_tensors, "send JSON tensors instead of binary ones");
  bench->add_flag("--shared-memory", o->shared_memory,
                  "http: pass tensors through the server's system shared-memory extension (a region per "
                  "connection; server on this host, server.allow_client_shared_memory: true)");
  bench->add_flag("--timeline", o->timeline,
                  "http: ask the server for its timestamps (server on this host) and report where each "
                  "request's time went, phase by phase (warm-up included)");
  bench->add_option("--max-outstanding", o->max_outstanding, "open-loop streams: connections at most")
      ->capture_default_str();
  bench->add_option("--seed", o->seed, "seed of the Poisson arrivals and of the request's input values")
      ->capture_default_str();
  bench->add_option("--timeout", o->timeout, "seconds a request may take before it counts as failed")
      ->capture_default_str();
  bench
      ->add_option("--busy-poll-us", o->busy_poll_us,
                   "http: microseconds a connection polls for its response before it sleeps (the in-process "
                   "side spins on the GPU)")
      ->check(CLI::Range(0, 10'000'000))
      ->capture_default_str();
  bench
      ->add_option("--socket-buffer-bytes", o->socket_buffer_bytes,
                   "http: socket buffers each connection asks for (0: the kernel's sizing; the server's "
                   "side is server.socket_buffer_bytes)")
      ->check(CLI::Range(0, 256 << 20))
      ->capture_default_str();
  bench
      ->add_option("--rounds", o->rounds,
                   "split the measured time into N rounds, each after its own warm-up; with --mode both the "
                   "two targets alternate round by round, so both see the same drift of the machine")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  bench->add_option("--out", o->out, "write results.json, summary.md and SVG plots into this directory");
  bench->add_flag("--quiet", o->quiet, "no progress line");
  bench->add_flag("--fail-on-error", o->fail_on_error, "exit 3 when any request failed");
  return {bench, [o] { return Bench(*o); }};
}

}  // namespace missile::cli
