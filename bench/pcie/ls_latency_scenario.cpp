// (a) The interference DEVICE.md measured, and the scheduler's answer to it: latency-sensitive (LS) host-to-
// device copies of several sizes, one at a time with exponential gaps, while a best-effort (BE) tenant
// streams bulk copies.
// - raw: plain CUDA. The BE stream keeps raw_be_queue copies of be_bytes queued (refilled as each finishes);
//   each LS copy goes on a stream of its own. DEVICE.md: 188.7 ms at p99 for 64 KiB with 40 x 256 MiB.
// - scheduler: both tenants submit to one TransferScheduler over one CudaCopyEngine (default chunking); BE
//   keeps be_outstanding transfers of be_bytes submitted.
// Each also solo (no BE), and the LS latency is from the issue (or Submit) to the completion seen on the
// host. On the H200 a copy on another stream can wait for as long as the BE stream has work (docs/pcie.md),
// so a raw LS copy still running after raw_starve_ms pauses the BE refills until it lands; such copies are
// counted as `starved`, their latency a lower bound of what an endless BE stream would inflict.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <functional>
#include <thread>

#include "bench_support.h"
#include "device/cuda/cuda_status.h"
#include "transfer_bench.h"

namespace missile::pcie::bench {
namespace {

constexpr TenantId kBeTenant = 1;
constexpr TenantId kLsTenant = 2;

// Raw CUDA's BE tenant: its own stream with `depth` copies queued, refilled on its own thread as each one
// finishes, until Stop.
class RawBacklog {
 public:
  static Result<std::unique_ptr<RawBacklog>> Start(const void* src, void* dst, uint64_t bytes, int depth) {
    std::unique_ptr<RawBacklog> backlog(new RawBacklog(src, dst, bytes));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&backlog->device_));
    MISSILE_ASSIGN_OR_RETURN(backlog->stream_, device::cuda::Stream::Create());
    for (int i = 0; i < depth; ++i) {
      MISSILE_ASSIGN_OR_RETURN(device::cuda::Event event, device::cuda::Event::Create());
      backlog->events_.push_back(std::move(event));
    }
    backlog->thread_ = std::thread([raw = backlog.get()] { raw->Run(); });
    // The LS copies start once the queue is full, as in DEVICE.md.
    while (!backlog->filled_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return backlog;
  }
  ~RawBacklog() { (void)Stop(); }

  // While paused, no new copies are queued: what is queued drains (<= depth x bytes of link time).
  void Pause(bool paused) { paused_ = paused; }

  // Stops refilling and waits for the queue to drain; the backlog's throughput meanwhile, or its error.
  Result<double> Stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    MISSILE_RETURN_IF_ERROR(status_);
    return static_cast<double>(completed_bytes_) / seconds_;
  }

 private:
  RawBacklog(const void* src, void* dst, uint64_t bytes) : src_(src), dst_(dst), bytes_(bytes) {}

  void Run() {
    status_ = Loop();
    filled_ = true;  // also on failure, so that Start does not wait for ever
  }

  Status Loop() {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaSetDevice(device_));
    const uint64_t depth = events_.size();
    uint64_t issued = 0, done = 0;
    const WallClock::time_point start = WallClock::now();
    while (running_) {
      while (issued - done < depth && !paused_) {
        MISSILE_CUDA_RETURN_IF_ERROR(
            cudaMemcpyAsync(dst_, src_, bytes_, cudaMemcpyHostToDevice, stream_.get()));
        MISSILE_RETURN_IF_ERROR(events_[issued % depth].Record(stream_.get()));
        ++issued;
      }
      if (issued - done == depth) filled_ = true;
      if (issued == done) {  // paused and drained
        std::this_thread::yield();
        continue;
      }
      const cudaError_t state = cudaEventQuery(events_[done % depth].get());
      if (state == cudaErrorNotReady) {
        std::this_thread::yield();
        continue;
      }
      MISSILE_CUDA_RETURN_IF_ERROR(state);
      ++done;
      completed_bytes_ += bytes_;
    }
    seconds_ = SecondsSince(start);  // what is left in the queue drains below, uncounted
    MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_.get()));
    return Status::Ok();
  }

  const void* src_;
  void* dst_;
  const uint64_t bytes_;
  int device_ = 0;
  device::cuda::Stream stream_;
  std::vector<device::cuda::Event> events_;
  std::atomic<bool> running_ = true;
  std::atomic<bool> paused_ = false;
  std::atomic<bool> filled_ = false;
  uint64_t completed_bytes_ = 0;
  double seconds_ = 1;
  Status status_;
  std::thread thread_;
};

struct RawSamples {
  std::vector<double> solo_us, with_be_us;
  int starved = 0;
};

// Raw CUDA LS copies for one size, on their own stream: `count` of them, or fewer after `max_seconds`. Beside
// a `backlog`, one still running after `starve_after` pauses its refills until it lands, and counts in
// `starved`.
Result<std::vector<double>> SampleRaw(BenchBuffers& buffers, uint64_t bytes, int count, double max_seconds,
                                      Gaps& gaps, const device::cuda::Stream& stream,
                                      const device::cuda::Event& done, RawBacklog* backlog = nullptr,
                                      std::chrono::nanoseconds starve_after = std::chrono::nanoseconds::max(),
                                      int* starved = nullptr) {
  std::vector<double> samples;
  bool paused = false;
  const std::function<void()> pause = [&] {
    paused = true;
    if (backlog != nullptr) backlog->Pause(true);
  };
  const WallClock::time_point start = WallClock::now();
  for (int i = 0; i < count && SecondsSince(start) < max_seconds; ++i) {
    gaps.Sleep();
    MISSILE_ASSIGN_OR_RETURN(
        double micros, RawCopyMicros(buffers.ls_device.data(), buffers.ls_host.data(), bytes,
                                     cudaMemcpyHostToDevice, stream.get(), done.get(), starve_after, pause));
    samples.push_back(micros);
    if (paused) {
      paused = false;
      if (starved != nullptr) ++*starved;
      backlog->Pause(false);
    }
  }
  return samples;
}

// LS copies for one size through the scheduler, one at a time.
Result<std::vector<double>> SampleScheduled(TransferScheduler& scheduler, BenchBuffers& buffers,
                                            uint64_t bytes, int count, Gaps& gaps) {
  return SampleTransfers(
      scheduler, {kLsTenant, buffers.ls_host.data(), buffers.ls_device.data(), bytes, false}, count, gaps);
}

Result<nlohmann::json> RawRun(const BenchOptions& options, BenchBuffers& buffers) {
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create());
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Event done, device::cuda::Event::Create());
  Gaps gaps(options.ls_gap_us, options.seed);
  nlohmann::json sizes = nlohmann::json::array();
  std::vector<RawSamples> samples(options.ls_sizes.size());
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    const uint64_t bytes = options.ls_sizes[s];
    MISSILE_RETURN_IF_ERROR(SampleRaw(buffers, bytes, options.ls_warmup, 1e9, gaps, stream, done).status());
    MISSILE_ASSIGN_OR_RETURN(samples[s].solo_us,
                             SampleRaw(buffers, bytes, options.ls_count, 1e9, gaps, stream, done));
  }
  MISSILE_ASSIGN_OR_RETURN(
      std::unique_ptr<RawBacklog> backlog,
      RawBacklog::Start(buffers.host.data(), buffers.device.data(), options.be_bytes, options.raw_be_queue));
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    const auto starve_after = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double, std::milli>(options.raw_starve_ms));
    MISSILE_ASSIGN_OR_RETURN(
        samples[s].with_be_us,
        SampleRaw(buffers, options.ls_sizes[s], options.raw_ls_count, options.raw_max_seconds, gaps, stream,
                  done, backlog.get(), starve_after, &samples[s].starved));
  }
  MISSILE_ASSIGN_OR_RETURN(const double be_bytes_per_second, backlog->Stop());
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    sizes.push_back({{"bytes", options.ls_sizes[s]},
                     {"solo_us", ToJson(Summarize(samples[s].solo_us))},
                     {"with_be_us", ToJson(Summarize(samples[s].with_be_us))},
                     {"starved", samples[s].starved}});
  }
  return nlohmann::json{
      {"be_queue", options.raw_be_queue}, {"be_bytes_per_second", be_bytes_per_second}, {"sizes", sizes}};
}

// Solo, then beside the BE backlog, for an LS tenant of the given nice.
Result<nlohmann::json> ScheduledRun(const BenchOptions& options, BenchBuffers& buffers, int ls_nice) {
  MISSILE_ASSIGN_OR_RETURN(const TenantParams ls_params, TenantParams::FromNice(ls_nice, true));
  const TenantParams be_params{kNice0Weight, false};
  Gaps gaps(options.ls_gap_us, options.seed + 1);
  nlohmann::json sizes = nlohmann::json::array();
  std::vector<std::vector<double>> solo(options.ls_sizes.size());
  {
    MISSILE_ASSIGN_OR_RETURN(auto engine,
                             CudaCopyEngine::Create(Direction::kHostToDevice, options.EngineOptions()));
    MISSILE_ASSIGN_OR_RETURN(
        auto link, ScheduledLink::Create(options.SchedulerConfig(), Direction::kHostToDevice, *engine));
    MISSILE_RETURN_IF_ERROR(link->AddTenant(kLsTenant, ls_params));
    for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
      MISSILE_RETURN_IF_ERROR(
          SampleScheduled(*link->scheduler, buffers, options.ls_sizes[s], options.ls_warmup, gaps).status());
      MISSILE_ASSIGN_OR_RETURN(
          solo[s], SampleScheduled(*link->scheduler, buffers, options.ls_sizes[s], options.ls_count, gaps));
    }
  }
  MISSILE_ASSIGN_OR_RETURN(auto engine,
                           CudaCopyEngine::Create(Direction::kHostToDevice, options.EngineOptions()));
  MISSILE_ASSIGN_OR_RETURN(
      auto link, ScheduledLink::Create(options.SchedulerConfig(), Direction::kHostToDevice, *engine));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(kBeTenant, be_params));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(kLsTenant, ls_params));
  BacklogTenant be(*link->scheduler,
                   {kBeTenant, buffers.host.data(), buffers.device.data(), options.be_bytes, false},
                   options.be_outstanding);
  MISSILE_RETURN_IF_ERROR(be.Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // BE fills the link first
  const uint64_t be_bytes_before = link->CompletedBytes(kBeTenant);
  const WallClock::time_point start = WallClock::now();
  for (size_t s = 0; s < options.ls_sizes.size(); ++s) {
    const uint64_t bytes = options.ls_sizes[s];
    // The first LS copies after the BE-only period meet bulk chunks (docs/pcie.md: up to ~314 us); kept
    // apart.
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> warmup,
                             SampleScheduled(*link->scheduler, buffers, bytes, options.ls_warmup, gaps));
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> with_be,
                             SampleScheduled(*link->scheduler, buffers, bytes, options.ls_count, gaps));
    const Summary solo_summary = Summarize(solo[s]);
    const Summary be_summary = Summarize(with_be);
    sizes.push_back({{"bytes", bytes},
                     {"solo_us", ToJson(solo_summary)},
                     {"with_be_us", ToJson(be_summary)},
                     {"warmup_with_be_us", warmup},
                     {"p99_vs_solo", be_summary.p99 / solo_summary.p99}});
  }
  const double seconds = SecondsSince(start);
  const uint64_t be_bytes = link->CompletedBytes(kBeTenant) - be_bytes_before;
  MISSILE_RETURN_IF_ERROR(be.Stop());
  return nlohmann::json{{"ls_nice", ls_nice},
                        {"ls_weight", ls_params.weight},
                        {"be_bytes_per_second", static_cast<double>(be_bytes) / seconds},
                        {"sizes", sizes}};
}

}  // namespace

Result<nlohmann::json> RunLsLatency(const BenchOptions& options, BenchBuffers& buffers) {
  fmt::print("\n(a) LS host-to-device copies beside a BE tenant streaming {} copies (latency in us)\n",
             SizeLabel(options.be_bytes));
  MISSILE_ASSIGN_OR_RETURN(nlohmann::json raw, RawRun(options, buffers));
  fmt::print("  raw CUDA, BE stream with {} queued ({:.1f} GB/s while LS ran), LS on its own stream:\n",
             options.raw_be_queue, raw["be_bytes_per_second"].get<double>() / 1e9);
  fmt::print("    {:>8} | {:>9} {:>9} | {:>10} {:>10} {:>4} {:>7}\n", "LS size", "solo p50", "solo p99",
             "+BE p50", "+BE p99", "n", "starved");
  for (const nlohmann::json& row : raw["sizes"]) {
    fmt::print("    {:>8} | {:9.1f} {:9.1f} | {:10.1f} {:10.1f} {:4} {:7}\n", SizeLabel(row["bytes"]),
               row["solo_us"]["p50"].get<double>(), row["solo_us"]["p99"].get<double>(),
               row["with_be_us"]["p50"].get<double>(), row["with_be_us"]["p99"].get<double>(),
               row["with_be_us"]["count"].get<size_t>(), row["starved"].get<int>());
  }
  nlohmann::json scheduled = nlohmann::json::array();
  for (const int nice : options.ls_nices) {
    MISSILE_ASSIGN_OR_RETURN(nlohmann::json run, ScheduledRun(options, buffers, nice));
    fmt::print(
        "  scheduler over CudaCopyEngine, LS nice {} (weight {}) vs BE nice 0 ({:.1f} GB/s while LS ran):\n",
        nice, run["ls_weight"].get<uint32_t>(), run["be_bytes_per_second"].get<double>() / 1e9);
    fmt::print("    {:>8} | {:>9} {:>9} | {:>10} {:>10} | {:>12} {:>14}\n", "LS size", "solo p50", "solo p99",
               "+BE p50", "+BE p99", "p99/solo p99", "p99/raw solo p99");
    for (size_t s = 0; s < run["sizes"].size(); ++s) {
      nlohmann::json& row = run["sizes"][s];
      const double raw_solo_p99 = raw["sizes"][s]["solo_us"]["p99"];
      row["p99_vs_raw_solo"] = row["with_be_us"]["p99"].get<double>() / raw_solo_p99;
      fmt::print("    {:>8} | {:9.1f} {:9.1f} | {:10.1f} {:10.1f} | {:11.2f}x {:13.2f}x\n",
                 SizeLabel(row["bytes"]), row["solo_us"]["p50"].get<double>(),
                 row["solo_us"]["p99"].get<double>(), row["with_be_us"]["p50"].get<double>(),
                 row["with_be_us"]["p99"].get<double>(), row["p99_vs_solo"].get<double>(),
                 row["p99_vs_raw_solo"].get<double>());
    }
    scheduled.push_back(run);
  }
  return nlohmann::json{{"raw", raw}, {"scheduler", scheduled}};
}

}  // namespace missile::pcie::bench
