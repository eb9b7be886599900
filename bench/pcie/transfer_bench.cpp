// The PCIe transfer scheduler on the GPU (issue 5): runs the scenarios of transfer_bench.h, prints a table as
// it goes, then the acceptance criteria against what was measured, and writes everything to --json.
//
//   missile_transfer_bench --json pcie-bench.json [--parts latency,shares,throughput,integrity] [sizes...]
//
// Sizes take units (64KiB, 16MiB, 2GiB; KB means KiB). Defaults take ~1 min on the H200, most of it the raw
// CUDA LS copies queued behind 40 x 256 MiB (~0.2 s each). Exit status 1 when a scenario fails to run or data
// comes back corrupted; acceptance misses are reported, not failed.
#include "transfer_bench.h"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>

#include "bench_support.h"
#include "device/cuda/cuda_status.h"

namespace missile::pcie::bench {

TransferConfig BenchOptions::SchedulerConfig() const {
  TransferConfig config;
  config.chunk_bytes = chunk_bytes;
  config.bulk_chunk_bytes = bulk_chunk_bytes;
  config.in_flight_chunks = in_flight_chunks;
  config.max_in_flight_copies = max_in_flight_copies;
  return config;
}

Result<BenchBuffers> BenchBuffers::Allocate(const BenchOptions& options) {
  uint64_t ls_bytes = 1;
  for (uint64_t size : options.ls_sizes) ls_bytes = std::max(ls_bytes, size);
  BenchBuffers buffers;
  MISSILE_ASSIGN_OR_RETURN(buffers.host, device::cuda::PinnedBuffer::Allocate(options.be_bytes));
  MISSILE_ASSIGN_OR_RETURN(buffers.device, device::cuda::DeviceBuffer::Allocate(options.be_bytes));
  MISSILE_ASSIGN_OR_RETURN(buffers.ls_host, device::cuda::PinnedBuffer::Allocate(ls_bytes));
  MISSILE_ASSIGN_OR_RETURN(buffers.ls_device, device::cuda::DeviceBuffer::Allocate(ls_bytes));
  std::memset(buffers.host.data(), 1, buffers.host.size());
  std::memset(buffers.ls_host.data(), 2, buffers.ls_host.size());
  // Touch the device side too, so that no scenario pays for first use.
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(buffers.device.data(), buffers.host.data(), options.be_bytes, cudaMemcpyHostToDevice));
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(buffers.ls_device.data(), buffers.ls_host.data(), ls_bytes, cudaMemcpyHostToDevice));
  return buffers;
}

namespace {

Result<nlohmann::json> DeviceInfo() {
  int device = 0, driver = 0, runtime = 0;
  cudaDeviceProp properties{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&properties, device));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDriverGetVersion(&driver));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaRuntimeGetVersion(&runtime));
  return nlohmann::json{{"name", properties.name},
                        {"pci_bus_id", properties.pciBusID},
                        {"async_engine_count", properties.asyncEngineCount},
                        {"driver_version", driver},
                        {"runtime_version", runtime}};
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

nlohmann::json OptionsJson(const BenchOptions& options) {
  return {{"chunk_bytes", options.chunk_bytes},
          {"bulk_chunk_bytes", options.bulk_chunk_bytes},
          {"in_flight_chunks", options.in_flight_chunks},
          {"max_in_flight_copies", options.max_in_flight_copies},
          {"wait", options.wait == CopyWait::kSpin ? "spin" : "block"},
          {"idle_spin_us", options.idle_spin_us},
          {"direct_issue", options.direct_issue},
          {"sweep_chunks", options.sweep_chunks},
          {"sweep_in_flight", options.sweep_in_flight},
          {"sweep_nice", options.sweep_nice},
          {"ls_sizes", options.ls_sizes},
          {"ls_count", options.ls_count},
          {"raw_ls_count", options.raw_ls_count},
          {"ls_warmup", options.ls_warmup},
          {"ls_gap_us", options.ls_gap_us},
          {"ls_nices", options.ls_nices},
          {"be_bytes", options.be_bytes},
          {"raw_be_queue", options.raw_be_queue},
          {"be_outstanding", options.be_outstanding},
          {"raw_max_seconds", options.raw_max_seconds},
          {"raw_starve_ms", options.raw_starve_ms},
          {"share_seconds", options.share_seconds},
          {"share_warmup_seconds", options.share_warmup_seconds},
          {"share_outstanding", options.share_outstanding},
          {"chunk_sizes", options.chunk_sizes},
          {"throughput_bytes", options.throughput_bytes},
          {"reps", options.reps},
          {"integrity_transfers", options.integrity_transfers},
          {"integrity_max_bytes", options.integrity_max_bytes},
          {"seed", options.seed}};
}

// Issue 5's acceptance on the GPU, checked against what the scenarios measured.
nlohmann::json Acceptance(const nlohmann::json& report) {
  nlohmann::json checks = nlohmann::json::array();
  const auto check = [&](std::string what, double value, std::string bound, bool pass) {
    fmt::print("  {:<4} {:<62} {:>10.4f}  (needs {})\n", pass ? "PASS" : "MISS", what, value, bound);
    checks.push_back({{"what", what}, {"value", value}, {"bound", bound}, {"pass", pass}});
  };
  fmt::print("\nAcceptance (issue 5, on the GPU)\n");
  if (report.contains("ls_latency")) {
    for (const nlohmann::json& run : report["ls_latency"]["scheduler"]) {
      for (const nlohmann::json& size : run["sizes"]) {
        const std::string what = fmt::format("LS nice {} {} B: p99 beside BE / solo p99 (scheduler)",
                                             run["ls_nice"].get<int>(), size["bytes"].get<uint64_t>());
        const double ratio = size["p99_vs_solo"];
        check(what, ratio, "<= 1.5", ratio <= 1.5);
        const double raw_ratio = size["p99_vs_raw_solo"];
        check(fmt::format("LS nice {} {} B: p99 beside BE / solo p99 (raw CUDA)", run["ls_nice"].get<int>(),
                          size["bytes"].get<uint64_t>()),
              raw_ratio, "<= 1.5", raw_ratio <= 1.5);
      }
    }
  }
  if (report.contains("shares")) {
    for (const nlohmann::json& run : report["shares"]) {
      std::string ratios;
      for (uint32_t r : run["ratios"]) ratios += fmt::format("{}{}", ratios.empty() ? "" : ":", r);
      const double worst = run["worst_relative_error"];
      check(fmt::format("weights {}: worst |share / configured - 1|", ratios), worst, "<= 0.05",
            worst <= 0.05);
    }
  }
  if (report.contains("throughput")) {
    for (const nlohmann::json& direction : report["throughput"]) {
      for (const nlohmann::json& row : direction["rows"]) {
        if (!row["default_config"].get<bool>()) continue;
        const double vs_peak = row["scheduler_vs_peak"];
        check(
            fmt::format("{} default chunks: scheduler / raw peak", direction["direction"].get<std::string>()),
            vs_peak, ">= 0.97", vs_peak >= 0.97);
        const double vs_chunked = row["scheduler_vs_raw_chunked"];
        check(fmt::format("{} default chunks: scheduler / raw same-size chunks",
                          direction["direction"].get<std::string>()),
              vs_chunked, ">= 0.97", vs_chunked >= 0.97);
      }
    }
  }
  if (report.contains("integrity")) {
    for (const nlohmann::json& run : report["integrity"]) {
      const double mismatches = run["mismatches"].get<double>() + static_cast<double>(run["errors"].size());
      check(fmt::format("integrity ({}): mismatched or failed transfers", run["label"].get<std::string>()),
            mismatches, "0", run["ok"].get<bool>());
    }
  }
  return checks;
}

int Main(int argc, char** argv) {
  BenchOptions options;
  std::string json_path = "pcie-bench.json";
  std::vector<std::string> parts = {"latency", "shares", "throughput", "integrity", "sweep"};
  std::string wait = "spin";
  CLI::App app{"missile PCIe transfer scheduler benchmark (issue 5), on the GPU"};
  const auto size = CLI::AsSizeValue(false);
  app.add_option("--json", json_path, "write the results here");
  app.add_option("--parts", parts, "scenarios to run: latency, shares, throughput, integrity, sweep")
      ->delimiter(',')
      ->check(CLI::IsMember({"latency", "shares", "throughput", "integrity", "sweep"}));
  app.add_option("--chunk", options.chunk_bytes, "scheduler chunk_bytes (while LS is active)")
      ->transform(size);
  app.add_option("--bulk-chunk", options.bulk_chunk_bytes, "scheduler bulk_chunk_bytes")->transform(size);
  app.add_option("--in-flight-chunks", options.in_flight_chunks);
  app.add_option("--max-in-flight-copies", options.max_in_flight_copies);
  app.add_option("--wait", wait, "how the engine threads wait: spin or block")
      ->check(CLI::IsMember({"spin", "block"}));
  app.add_option("--idle-spin-us", options.idle_spin_us,
                 "spin mode: engine threads poll this long after the last activity before sleeping");
  app.add_option("--direct-issue", options.direct_issue,
                 "a copy into an idle engine is started on the issuing thread (true/false)");
  app.add_option("--sweep-chunks", options.sweep_chunks, "(d) LS-active chunk sizes beside BE")
      ->delimiter(',')
      ->transform(size);
  app.add_option("--sweep-in-flight", options.sweep_in_flight, "(d) in-flight chunk counts beside BE")
      ->delimiter(',');
  app.add_option("--sweep-nice", options.sweep_nice, "(d) the LS tenant's nice");
  app.add_option("--ls-sizes", options.ls_sizes, "(a) LS copy sizes")->delimiter(',')->transform(size);
  app.add_option("--ls-count", options.ls_count, "(a) LS copies per size and setup");
  app.add_option("--raw-ls-count", options.raw_ls_count, "(a) LS copies per size behind the raw BE queue");
  app.add_option("--ls-warmup", options.ls_warmup, "(a) unmeasured LS copies before each measurement");
  app.add_option("--ls-gap-us", options.ls_gap_us, "(a) mean gap between LS copies (exponential)");
  app.add_option("--ls-nices", options.ls_nices, "(a) the LS tenant's nice values, one run each")
      ->delimiter(',');
  app.add_option("--be-bytes", options.be_bytes, "BE copy (and buffer) size")->transform(size);
  app.add_option("--raw-be-queue", options.raw_be_queue, "(a) raw: BE copies kept queued");
  app.add_option("--be-outstanding", options.be_outstanding, "(a) scheduler: BE transfers kept submitted");
  app.add_option("--raw-max-seconds", options.raw_max_seconds, "(a) raw: sampling time cap per LS size");
  app.add_option("--raw-starve-ms", options.raw_starve_ms,
                 "(a) raw: an LS copy still running after this pauses the BE refills until it lands");
  app.add_option("--share-seconds", options.share_seconds, "(b) measured time per weight set");
  app.add_option("--share-warmup-seconds", options.share_warmup_seconds);
  app.add_option("--share-outstanding", options.share_outstanding,
                 "(b) transfers each tenant keeps submitted");
  app.add_option("--chunk-sizes", options.chunk_sizes, "(c) chunk sizes")->delimiter(',')->transform(size);
  app.add_option("--throughput-bytes", options.throughput_bytes, "(c) bytes per run")->transform(size);
  app.add_option("--reps", options.reps, "(c) runs per point (median reported)");
  app.add_option("--integrity-transfers", options.integrity_transfers);
  app.add_option("--integrity-max-bytes", options.integrity_max_bytes)->transform(size);
  app.add_option("--seed", options.seed);
  CLI11_PARSE(app, argc, argv);
  options.wait = wait == "spin" ? CopyWait::kSpin : CopyWait::kBlock;
  if (options.ls_count < 1 || options.raw_ls_count < 1 || options.be_bytes == 0 ||
      options.integrity_max_bytes == 0 || options.ls_gap_us <= 0 || options.idle_spin_us < 0) {
    fmt::print(stderr,
               "transfer_bench: counts, sizes and the LS gap must be positive, idle spin not negative\n");
    return 2;
  }
  const std::set<std::string> run(parts.begin(), parts.end());

  const WallClock::time_point start = WallClock::now();
  nlohmann::json report = {{"date", UtcNow()}, {"options", OptionsJson(options)}};
  const Result<nlohmann::json> device = DeviceInfo();
  if (!device.ok()) {
    fmt::print(stderr, "transfer_bench: no usable GPU: {}\n", device.status().ToString());
    report["error"] = device.status().ToString();
    std::ofstream(json_path) << report.dump(2) << "\n";
    return 1;
  }
  report["device"] = *device;
  fmt::print("missile transfer bench, {} on {} (driver {}, runtime {})\n", report["date"].get<std::string>(),
             (*device)["name"].get<std::string>(), (*device)["driver_version"].get<int>(),
             (*device)["runtime_version"].get<int>());
  bool failed = false;
  const auto record = [&](const char* key, const Result<nlohmann::json>& result) {
    if (result.ok()) {
      report[key] = *result;
    } else {
      fmt::print(stderr, "transfer_bench: {}: {}\n", key, result.status().ToString());
      report[std::string(key) + "_error"] = result.status().ToString();
      failed = true;
    }
  };
  {
    Result<BenchBuffers> buffers = BenchBuffers::Allocate(options);
    if (!buffers.ok()) {
      fmt::print(stderr, "transfer_bench: buffers: {}\n", buffers.status().ToString());
      return 1;
    }
    if (run.contains("latency")) record("ls_latency", RunLsLatency(options, *buffers));
    if (run.contains("shares")) record("shares", RunShares(options, *buffers));
    if (run.contains("throughput")) record("throughput", RunThroughput(options, *buffers));
    if (run.contains("sweep")) record("sweep", RunSweep(options, *buffers));
  }
  if (run.contains("integrity")) {
    record("integrity", RunIntegrity(options));
    if (report.contains("integrity")) {
      for (const nlohmann::json& integrity_run : report["integrity"])
        failed |= !integrity_run["ok"].get<bool>();
    }
  }
  report["acceptance"] = Acceptance(report);
  report["seconds"] = SecondsSince(start);
  fmt::print("\n{:.1f} s in all; results in {}\n", report["seconds"].get<double>(), json_path);
  std::ofstream(json_path) << report.dump(2) << "\n";
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace missile::pcie::bench

int main(int argc, char** argv) {
  return missile::pcie::bench::Main(argc, argv);
}
