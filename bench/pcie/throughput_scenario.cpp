// (c) What the scheduler costs a lone tenant: link throughput through TransferScheduler + CudaCopyEngine
// against raw cudaMemcpyAsync on one stream, per chunk size (chunk_bytes = bulk_chunk_bytes = S) and with the
// default config (a lone tenant gets bulk chunks), in both directions. Raw is measured two ways: copies of
// be_bytes back to back (the link's peak) and copies of S back to back (the best any issuer of S-byte chunks
// can do). Everything is timed on the wall clock from the first issue to the last completion; the median of
// `reps` runs is reported.
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "bench_support.h"
#include "transfer_bench.h"

namespace missile::pcie::bench {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// `total` bytes submitted at once as transfers of `transfer_bytes` by one tenant; bytes per second from the
// first Submit to the last callback.
Result<double> ScheduledBytesPerSecond(CudaCopyEngine& engine, const TransferConfig& config,
                                       Direction direction, const void* src, void* dst,
                                       uint64_t transfer_bytes, uint64_t total) {
  MISSILE_ASSIGN_OR_RETURN(auto link, ScheduledLink::Create(config, direction, engine));
  MISSILE_RETURN_IF_ERROR(link->AddTenant(1, {kNice0Weight, false}));
  const uint64_t transfers = std::max<uint64_t>(1, total / transfer_bytes);
  std::atomic<uint64_t> remaining = transfers;
  std::atomic<bool> done = false;
  std::mutex error_mutex;
  Status first_error;
  WallClock::time_point end;
  const WallClock::time_point start = WallClock::now();
  for (uint64_t i = 0; i < transfers; ++i) {
    const Result<TransferId> id =
        link->scheduler->Submit({1, src, dst, transfer_bytes, false}, [&](const Status& status) {
          if (!status.ok()) {
            std::lock_guard lock(error_mutex);
            if (first_error.ok()) first_error = status;
          }
          if (--remaining == 0) {
            end = WallClock::now();
            done.store(true, std::memory_order_release);
          }
        });
    MISSILE_RETURN_IF_ERROR(id.status());
  }
  while (!done.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::microseconds(100));
  std::lock_guard lock(error_mutex);
  MISSILE_RETURN_IF_ERROR(first_error);
  return static_cast<double>(transfers * transfer_bytes) / std::chrono::duration<double>(end - start).count();
}

template <typename Measure>
Result<std::vector<double>> Repeat(int reps, Measure measure) {
  std::vector<double> values;
  for (int i = 0; i < reps; ++i) {
    MISSILE_ASSIGN_OR_RETURN(double value, measure());
    values.push_back(value);
  }
  return values;
}

Result<nlohmann::json> RunDirection(const BenchOptions& options, BenchBuffers& buffers, Direction direction) {
  const bool to_device = direction == Direction::kHostToDevice;
  const void* src = to_device ? buffers.host.data() : buffers.device.data();
  void* dst = to_device ? buffers.device.data() : buffers.host.data();
  const uint64_t buffer_bytes = options.be_bytes;
  const int reps = std::max(1, options.reps);
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create());
  const auto raw = [&](uint64_t chunk) {
    return Repeat(reps, [&] {
      return RawStreamBytesPerSecond(dst, src, buffer_bytes, chunk, options.throughput_bytes,
                                     KindOf(direction), stream.get());
    });
  };
  MISSILE_RETURN_IF_ERROR(raw(buffer_bytes).status());  // warm-up
  MISSILE_ASSIGN_OR_RETURN(const std::vector<double> peak_runs, raw(buffer_bytes));
  const double peak = Median(peak_runs);
  MISSILE_ASSIGN_OR_RETURN(auto engine, CudaCopyEngine::Create(direction, options.EngineOptions()));

  fmt::print("  {}: raw {} copies {:.2f} GB/s (the peak)\n", DirectionName(direction),
             buffer_bytes % kMiB == 0 ? fmt::format("{} MiB", buffer_bytes / kMiB)
                                      : fmt::format("{} B", buffer_bytes),
             peak / 1e9);
  fmt::print("    {:>18} | {:>10} | {:>10} | {:>10} | {:>13}\n", "chunk", "raw GB/s", "sched GB/s",
             "sched/peak", "sched/raw chunk");
  nlohmann::json rows = nlohmann::json::array();
  std::vector<uint64_t> sizes = options.chunk_sizes;
  sizes.push_back(0);  // the default config
  for (const uint64_t size : sizes) {
    TransferConfig config = options.SchedulerConfig();
    if (size != 0) config.chunk_bytes = config.bulk_chunk_bytes = size;
    // A lone tenant's chunks are bulk ones.
    const uint64_t chunk = config.bulk_chunk_bytes;
    MISSILE_ASSIGN_OR_RETURN(const std::vector<double> raw_runs, raw(chunk));
    const auto scheduled_run = [&] {
      return ScheduledBytesPerSecond(*engine, config, direction, src, dst, buffer_bytes,
                                     options.throughput_bytes);
    };
    MISSILE_ASSIGN_OR_RETURN(const std::vector<double> scheduled_runs, Repeat(reps, scheduled_run));
    const double raw_chunked = Median(raw_runs);
    const double scheduled = Median(scheduled_runs);
    const std::string label =
        size == 0 ? fmt::format("default ({} MiB)", chunk / kMiB) : fmt::format("{} KiB", chunk / kKiB);
    fmt::print("    {:>18} | {:10.2f} | {:10.2f} | {:9.1f}% | {:12.1f}%\n", label, raw_chunked / 1e9,
               scheduled / 1e9, 100 * scheduled / peak, 100 * scheduled / raw_chunked);
    rows.push_back({{"label", label},
                    {"default_config", size == 0},
                    {"chunk_bytes", config.chunk_bytes},
                    {"bulk_chunk_bytes", config.bulk_chunk_bytes},
                    {"raw_chunked_bytes_per_second", raw_chunked},
                    {"raw_chunked_runs", raw_runs},
                    {"scheduler_bytes_per_second", scheduled},
                    {"scheduler_runs", scheduled_runs},
                    {"scheduler_vs_peak", scheduled / peak},
                    {"scheduler_vs_raw_chunked", scheduled / raw_chunked}});
  }
  return nlohmann::json{{"direction", DirectionName(direction)},
                        {"peak_bytes_per_second", peak},
                        {"peak_runs", peak_runs},
                        {"rows", rows}};
}

}  // namespace

Result<nlohmann::json> RunThroughput(const BenchOptions& options, BenchBuffers& buffers) {
  fmt::print(
      "\n(c) Lone-tenant throughput, {} GiB per run, median of {} (scheduler vs raw cudaMemcpyAsync)\n",
      static_cast<double>(options.throughput_bytes) / kGiB, options.reps);
  nlohmann::json directions = nlohmann::json::array();
  for (Direction direction : {Direction::kHostToDevice, Direction::kDeviceToHost}) {
    MISSILE_ASSIGN_OR_RETURN(nlohmann::json result, RunDirection(options, buffers, direction));
    directions.push_back(result);
  }
  return directions;
}

}  // namespace missile::pcie::bench
