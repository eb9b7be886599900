// `missile probe channels`: recovers how the GPU maps memory lines to L2 slices / channels by timing alone,
// and says what isolation each placement granularity could give. Writes report.md, probe.json and (when a
// whole page was classified) hash-model.json to --out.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "device/gpu_info.h"

#ifdef MISSILE_HAVE_CUDA
#include "memory/placement_report.h"
#include "probe/channel_report.h"
#include "probe/cuda/gpu_channel_probe.h"
#include "probe/hash_model.h"
#endif

namespace missile::cli {
namespace {

struct ProbeChannelsArgs {
  bool quick = false;
  std::string out = "probe-out";
  int device = 0;
  int64_t lines = -1;  // -1: the mode's default
  int pages = -1;
  int cross_lines = -1;
  int repetitions = 2;
  double time_budget_s = -1;
  double test_us = 60;
  int max_group = 8;
  int64_t expected_classes = 0;
  bool no_sweep = false;
  double sweep_gib = 64;
  uint64_t seed = 1;
};

#ifdef MISSILE_HAVE_CUDA
std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) return Error(ErrorCode::kInternal, "could not write {}", path.string());
  return Status::Ok();
}

int RunProbe(const ProbeChannelsArgs& args) {
  probe::cuda::GpuChannelProbeOptions options;
  options.device = args.device;
  // Quick: a sample of the reference page and few other pages, within a minute. Full: the whole page (a
  // model), more pages, within five minutes.
  options.pages = args.pages > 0 ? args.pages : args.quick ? 3 : 6;
  options.sweep = !args.no_sweep;
  options.sweep_options.buffer_bytes = static_cast<uint64_t>(args.sweep_gib * double(uint64_t{1} << 30));
  options.oracle.target_us = args.test_us;
  options.oracle.max_group_size = args.max_group;
  options.oracle.seed = args.seed;
  probe::ChannelProbeOptions& p = options.probe;
  p.lines = args.lines >= 0 ? args.lines : args.quick ? 1024 : 0;
  p.repetitions = args.repetitions;
  p.cross_lines = args.cross_lines > 0 ? args.cross_lines : args.quick ? 8 : 16;
  p.time_budget_s = args.time_budget_s >= 0 ? args.time_budget_s : args.quick ? 55 : 290;
  p.classifier.expected_classes = args.expected_classes;
  p.seed = args.seed;
  p.log = [](const std::string& line) { std::cerr << "probe: " << line << std::endl; };

  Result<probe::ChannelProbeReport> report = probe::cuda::RunGpuChannelProbe(options);
  if (!report.ok()) return ReportError(report.status().WithContext("probe channels"));
  // The command as run, every choice explicit, so that the report says how to reproduce it.
  report->command = fmt::format(
      "missile probe channels --lines {} --pages {} --cross-lines {} --repetitions {} --time-budget {:g} "
      "--test-us {:g} --max-group {} --sweep-gib {:g} --seed {}{}",
      p.lines, options.pages, p.cross_lines, p.repetitions, p.time_budget_s, args.test_us, args.max_group,
      args.sweep_gib, args.seed, args.no_sweep ? " --no-sweep" : "");
  report->date_utc = UtcNow();
  if (report->probe) {
    report->sections.push_back(memory::PlacementSection(*report->probe, report->device.vmm_granularity));
  }

  std::error_code created;
  std::filesystem::create_directories(args.out, created);
  const std::filesystem::path out(args.out);
  Status written = WriteFile(out / "report.md", probe::ChannelProbeMarkdown(*report));
  Result<std::string> json = probe::ChannelProbeJson(*report);
  if (written.ok()) written = json.ok() ? WriteFile(out / "probe.json", *json) : json.status();
  if (written.ok() && report->probe && report->probe->model) {
    written = WriteFile(out / "hash-model.json", probe::HashModelToJson(*report->probe->model));
  }
  if (!written.ok()) return ReportError(written);
  std::cout << probe::ChannelProbeMarkdown(*report);
  // The probe ran; a failed phase is in the report. Exit non-zero only when nothing was classified.
  return report->probe && report->probe->reference_run() != nullptr ? 0 : 1;
}
#endif

}  // namespace

Command AddProbeCommand(CLI::App& app) {
  auto args = std::make_shared<ProbeChannelsArgs>();
  CLI::App* probe = app.add_subcommand("probe", "Measure the GPU's memory system by timing (needs a GPU)");
  probe->require_subcommand(1);
  CLI::App* channels = probe->add_subcommand(
      "channels", "Recover which memory lines share an L2 slice / channel, and what placement could isolate");
  channels->add_flag("--quick", args->quick, "a sample of one page and two other pages, in under a minute");
  channels->add_option("--out", args->out, "folder for report.md, probe.json and hash-model.json");
  channels->add_option("--device", args->device, "GPU index");
  channels->add_option("--lines", args->lines,
                       "lines of the reference page to classify (0: all; quick: 1024)");
  channels->add_option("--pages", args->pages, "pages probed, the reference included (quick: 3, full: 6)");
  channels->add_option("--cross-lines", args->cross_lines,
                       "lines located per other page (quick: 8, full: 16)");
  channels->add_option("--repetitions", args->repetitions, "classifications of the same lines (stability)")
      ->check(CLI::Range(1, 10));
  channels->add_option("--time-budget", args->time_budget_s, "seconds for everything (quick: 55, full: 290)");
  channels->add_option("--test-us", args->test_us, "kernel time of one line hammered alone, microseconds")
      ->check(CLI::Range(5.0, 10000.0));
  channels->add_option("--max-group", args->max_group, "largest group the oracle may use")
      ->check(CLI::Range(1, 15));
  channels->add_option("--expected-classes", args->expected_classes, "fail a run that finds another count");
  channels->add_flag("--no-sweep", args->no_sweep, "skip the read-bandwidth sweep");
  channels->add_option("--sweep-gib", args->sweep_gib, "sweep buffer size in GiB")
      ->check(CLI::Range(4.0, 1024.0));
  channels->add_option("--seed", args->seed, "seed of every random choice");
  return {probe, [args, channels]() -> int {
            if (!channels->parsed()) return 1;
            if (!device::BuiltWithCuda()) {
              return ReportError(
                  Error(ErrorCode::kUnavailable,
                        "probe channels needs a CUDA build of missile and an NVIDIA GPU; this build "
                        "has no CUDA support"));
            }
#ifdef MISSILE_HAVE_CUDA
            auto gpus = device::QueryGpus();
            if (!gpus.ok() || gpus->empty()) {
              return ReportError(Error(ErrorCode::kUnavailable, "probe channels needs an NVIDIA GPU: {}",
                                       gpus.ok() ? "none found" : gpus.status().message()));
            }
            return RunProbe(*args);
#else
            return 1;
#endif
          }};
}

}  // namespace missile::cli
