// (d) Where an LS copy's time goes, and what each knob buys. An LS copy through the scheduler takes:
//   the engine's path (submit -> copy given to CUDA -> completion seen), measured solo against raw CUDA's
//   solo copy, for three engine variants: the first design (every copy through the submit thread, threads
//   asleep when idle), direct issue (the submitting thread starts a copy into an idle stream), and direct
//   issue with the threads polling for idle_spin after the last activity;
// + the BE bytes already in the hardware queue when it arrives, set by the policy's in-flight bound while an
//   LS tenant is active (in_flight_chunks x chunk_bytes): measured beside a BE backlog for each chunk size
//   and in-flight count, with the BE throughput that policy leaves (the price of small chunks).
// The LS tenant's queue wait (submit -> first chunk issued, from the scheduler's metrics) shows whether the
// policy ever held it back: it should be ~0, the wait being in the hardware queue.
#include <fmt/format.h>

#include <thread>

#include "bench_support.h"
#include "device/cuda/cuda_status.h"
#include "transfer_bench.h"

namespace missile::pcie::bench {
namespace {

constexpr TenantId kBeTenant = 1;
constexpr TenantId kLsTenant = 2;

TransferRequest LsRequest(BenchBuffers& buffers, uint64_t bytes) {
  return {kLsTenant, buffers.ls_host.data(), buffers.ls_device.data(), bytes, false};
}

double LsQueueWaitP99Us(const ScheduledLink& link) {
  for (const TenantTransferStats& stats : link.scheduler->Metrics()) {
    if (stats.tenant == kLsTenant) return static_cast<double>(stats.queue_wait.p99.count()) / 1e3;
  }
  return 0;
}

nlohmann::json SizeJson(uint64_t bytes, const Summary& summary, double raw_solo_p99) {
  return {{"bytes", bytes}, {"us", ToJson(summary)}, {"p99_vs_raw_solo", summary.p99 / raw_solo_p99}};
}

// Raw CUDA copies on a stream of their own, one at a time: the reference every ratio is taken against.
Result<std::vector<Summary>> RawSolo(const BenchOptions& options, BenchBuffers& buffers, Gaps& gaps) {
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create());
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Event done, device::cuda::Event::Create());
  std::vector<Summary> summaries;
  for (const uint64_t bytes : options.ls_sizes) {
    std::vector<double> samples;
    for (int i = 0; i < options.ls_warmup + options.ls_count; ++i) {
      gaps.Sleep();
      MISSILE_ASSIGN_OR_RETURN(const double micros,
                               RawCopyMicros(buffers.ls_device.data(), buffers.ls_host.data(), bytes,
                                             cudaMemcpyHostToDevice, stream.get(), done.get()));
      if (i >= options.ls_warmup) samples.push_back(micros);
    }
    summaries.push_back(Summarize(std::move(samples)));
  }
  return summaries;
}

// The LS tenant alone through a scheduler over an engine with `engine_options`.
Result<nlohmann::json> EngineVariant(const BenchOptions& options, BenchBuffers& buffers,
                                     const CudaCopyEngineOptions& engine_options, const std::string& label,
                                     const std::vector<Summary>& raw, Gaps& gaps) {
  MISSILE_ASSIGN_OR_RETURN(const TenantParams ls_params, TenantParams::FromNice(options.sweep_nice, true));
  MISSILE_ASSIGN_OR_RETURN(auto engine, CudaCopyEngine::Create(Direction::kHostToDevice, engine_options));
  MISSILE_ASSIGN_OR_RETURN(
      auto link, ScheduledLink::Create(options.SchedulerConfig(), Direction::kHostToDevice, *engine));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(kLsTenant, ls_params));
  nlohmann::json sizes = nlohmann::json::array();
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    const TransferRequest request = LsRequest(buffers, options.ls_sizes[s]);
    MISSILE_RETURN_IF_ERROR(SampleTransfers(*link->scheduler, request, options.ls_warmup, gaps).status());
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> samples,
                             SampleTransfers(*link->scheduler, request, options.ls_count, gaps));
    sizes.push_back(SizeJson(options.ls_sizes[s], Summarize(std::move(samples)), raw[s].p99));
  }
  return nlohmann::json{{"engine", label},
                        {"direct_issue", engine_options.direct_issue},
                        {"idle_spin_us", engine_options.idle_spin.count()},
                        {"ls_queue_wait_p99_us", LsQueueWaitP99Us(*link)},
                        {"sizes", sizes}};
}

// The LS tenant beside a BE backlog, under `config`.
Result<nlohmann::json> PolicyVariant(const BenchOptions& options, BenchBuffers& buffers,
                                     const TransferConfig& config, const std::vector<Summary>& raw,
                                     Gaps& gaps) {
  MISSILE_ASSIGN_OR_RETURN(const TenantParams ls_params, TenantParams::FromNice(options.sweep_nice, true));
  MISSILE_ASSIGN_OR_RETURN(auto engine,
                           CudaCopyEngine::Create(Direction::kHostToDevice, options.EngineOptions()));
  MISSILE_ASSIGN_OR_RETURN(auto link, ScheduledLink::Create(config, Direction::kHostToDevice, *engine));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(kBeTenant, {kNice0Weight, false}));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(kLsTenant, ls_params));
  BacklogTenant be(*link->scheduler,
                   {kBeTenant, buffers.host.data(), buffers.device.data(), options.be_bytes, false},
                   options.be_outstanding);
  MISSILE_RETURN_IF_ERROR(be.Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // BE fills the link first
  const uint64_t be_before = link->CompletedBytes(kBeTenant);
  const WallClock::time_point start = WallClock::now();
  nlohmann::json sizes = nlohmann::json::array();
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    const TransferRequest request = LsRequest(buffers, options.ls_sizes[s]);
    // The first copies after the BE-only spell meet bulk chunks (the quiet-period rule): kept apart.
    MISSILE_RETURN_IF_ERROR(SampleTransfers(*link->scheduler, request, options.ls_warmup, gaps).status());
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> samples,
                             SampleTransfers(*link->scheduler, request, options.ls_count, gaps));
    sizes.push_back(SizeJson(options.ls_sizes[s], Summarize(std::move(samples)), raw[s].p99));
  }
  const double seconds = SecondsSince(start);
  const uint64_t be_bytes = link->CompletedBytes(kBeTenant) - be_before;
  const double ls_queue_wait = LsQueueWaitP99Us(*link);
  MISSILE_RETURN_IF_ERROR(be.Stop());
  return nlohmann::json{{"chunk_bytes", config.chunk_bytes},
                        {"in_flight_chunks", config.in_flight_chunks},
                        {"be_bytes_per_second", static_cast<double>(be_bytes) / seconds},
                        {"ls_queue_wait_p99_us", ls_queue_wait},
                        {"sizes", sizes}};
}

void PrintSizes(const nlohmann::json& sizes) {
  for (const nlohmann::json& size : sizes) {
    fmt::print(" | {:7.1f} {:7.1f} {:5.2f}x", size["us"]["p50"].get<double>(),
               size["us"]["p99"].get<double>(), size["p99_vs_raw_solo"].get<double>());
  }
  fmt::print("\n");
}

void PrintHeader(const std::string& first, int width, const std::vector<uint64_t>& sizes) {
  fmt::print("    {:<{}}", first, width);
  for (const uint64_t bytes : sizes) fmt::print(" | {:>23}", SizeLabel(bytes) + " p50 p99 x raw");
  fmt::print("\n");
}

}  // namespace

Result<nlohmann::json> RunSweep(const BenchOptions& options, BenchBuffers& buffers) {
  fmt::print(
      "\n(d) Where an LS copy's time goes: host-to-device, LS nice {}, latency in us, x raw solo p99\n",
      options.sweep_nice);
  Gaps gaps(options.ls_gap_us, options.seed + 7);
  MISSILE_ASSIGN_OR_RETURN(const std::vector<Summary> raw, RawSolo(options, buffers, gaps));
  nlohmann::json raw_json = nlohmann::json::array();
  PrintHeader("raw CUDA solo", 38, options.ls_sizes);
  fmt::print("    {:<38}", "");
  for (size_t s = 0; s < raw.size(); ++s) {
    raw_json.push_back({{"bytes", options.ls_sizes[s]}, {"us", ToJson(raw[s])}});
    fmt::print(" | {:7.1f} {:7.1f} {:>6}", raw[s].p50, raw[s].p99, "");
  }
  fmt::print("\n");

  fmt::print("  scheduler solo, by engine variant (LS queue wait p99 in brackets):\n");
  PrintHeader("engine", 38, options.ls_sizes);
  nlohmann::json engines = nlohmann::json::array();
  const CudaCopyEngineOptions configured = options.EngineOptions();
  struct Variant {
    std::string label;
    CudaCopyEngineOptions engine;
  };
  const std::vector<Variant> variants = {
      {"submit thread, sleeps when idle", {.wait = configured.wait, .idle_spin = {}, .direct_issue = false}},
      {"direct issue, sleeps when idle", {.wait = configured.wait, .idle_spin = {}, .direct_issue = true}},
      {fmt::format("direct issue, polls {} us after", configured.idle_spin.count()),
       {.wait = configured.wait, .idle_spin = configured.idle_spin, .direct_issue = true}},
  };
  for (const Variant& variant : variants) {
    MISSILE_ASSIGN_OR_RETURN(nlohmann::json run,
                             EngineVariant(options, buffers, variant.engine, variant.label, raw, gaps));
    fmt::print("    {:<38}",
               fmt::format("{} [{:.1f}]", variant.label, run["ls_queue_wait_p99_us"].get<double>()));
    PrintSizes(run["sizes"]);
    engines.push_back(std::move(run));
  }

  fmt::print("  scheduler beside BE ({} x {} outstanding), by LS-active chunk and in-flight chunks:\n",
             options.be_outstanding, SizeLabel(options.be_bytes));
  PrintHeader("chunk x in flight: BE GB/s [LS wait]", 38, options.ls_sizes);
  nlohmann::json policies = nlohmann::json::array();
  for (const uint32_t in_flight : options.sweep_in_flight) {
    for (const uint64_t chunk : options.sweep_chunks) {
      TransferConfig config = options.SchedulerConfig();
      config.chunk_bytes = chunk;
      config.bulk_chunk_bytes = std::max(config.bulk_chunk_bytes, chunk);
      config.in_flight_chunks = in_flight;
      MISSILE_ASSIGN_OR_RETURN(nlohmann::json run, PolicyVariant(options, buffers, config, raw, gaps));
      fmt::print("    {:<38}", fmt::format("{} x {}: {:.1f} [{:.1f}]", SizeLabel(chunk), in_flight,
                                           run["be_bytes_per_second"].get<double>() / 1e9,
                                           run["ls_queue_wait_p99_us"].get<double>()));
      PrintSizes(run["sizes"]);
      policies.push_back(std::move(run));
    }
  }
  return nlohmann::json{{"ls_nice", options.sweep_nice},
                        {"raw_solo", raw_json},
                        {"engine_variants", engines},
                        {"policy_variants", policies}};
}

}  // namespace missile::pcie::bench
