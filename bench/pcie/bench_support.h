// What the transfer benchmark's scenarios share: wall-clock timing, latency summaries, a scheduler over a
// CUDA engine, a tenant that keeps a backlog of transfers submitted, and raw CUDA copy loops.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "device/cuda/stream.h"
#include "pcie/clock.h"
#include "pcie/transfer_scheduler.h"

namespace missile::pcie::bench {

using WallClock = std::chrono::steady_clock;

inline double MicrosSince(WallClock::time_point start) {
  return std::chrono::duration<double, std::micro>(WallClock::now() - start).count();
}
inline double SecondsSince(WallClock::time_point start) {
  return std::chrono::duration<double>(WallClock::now() - start).count();
}

// "64 KiB", "16 MiB": for tables.
std::string SizeLabel(uint64_t bytes);

// Nearest-rank percentiles of a sample, in the sample's unit.
struct Summary {
  size_t count = 0;
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};
Summary Summarize(std::vector<double> values);
nlohmann::json ToJson(const Summary& summary);

// A scheduler over `engine` on the steady clock, with the given tenants' parameters.
struct ScheduledLink {
  SteadyClock clock;
  std::unique_ptr<TransferScheduler> scheduler;

  static Result<std::unique_ptr<ScheduledLink>> Create(const TransferConfig& config, Direction direction,
                                                       CopyEngine& engine,
                                                       HostAllocator* staging_allocator = nullptr);
  Status AddTenant(TenantId tenant, const TenantParams& params) {
    return scheduler->AddTenant(tenant, params);
  }
  uint64_t CompletedBytes(TenantId tenant) const;
};

// Submits one transfer and waits (spinning) for its callback; returns its latency in microseconds, from just
// before Submit to the callback on the engine's completion thread.
Result<double> TimedTransfer(TransferScheduler& scheduler, const TransferRequest& request);

// Gaps between LS copies: exponential, so that arrivals form a Poisson process (one copy at a time).
class Gaps {
 public:
  Gaps(double mean_us, uint64_t seed) : random_(seed), gap_(1.0 / mean_us) {}
  void Sleep();

 private:
  std::mt19937_64 random_;
  std::exponential_distribution<double> gap_;
};

// `count` transfers of `request`, one at a time with `gaps` between them, each timed as TimedTransfer does.
Result<std::vector<double>> SampleTransfers(TransferScheduler& scheduler, const TransferRequest& request,
                                            int count, Gaps& gaps);

// A tenant with a standing backlog: keeps `outstanding` transfers of `bytes` submitted, each completion
// submitting the next, until Stop.
class BacklogTenant {
 public:
  BacklogTenant(TransferScheduler& scheduler, TransferRequest request, int outstanding)
      : scheduler_(scheduler), request_(request), outstanding_target_(outstanding) {}
  ~BacklogTenant() { (void)Stop(); }
  BacklogTenant(const BacklogTenant&) = delete;
  BacklogTenant& operator=(const BacklogTenant&) = delete;

  Status Start();
  // Stops resubmitting and waits for every submitted transfer to finish; the first error, if any.
  Status Stop();

 private:
  void SubmitOne();
  void RecordError(const Status& status);

  TransferScheduler& scheduler_;
  const TransferRequest request_;
  const int outstanding_target_;
  std::atomic<bool> running_ = false;
  std::atomic<int> outstanding_ = 0;
  std::mutex error_mutex_;
  Status first_error_;
};

// Raw CUDA, for comparison: one copy, timed from issue to its event seen complete by a polling host thread
// (as the engine's completion thread sees it). If it is still running after `overdue_after`, `on_overdue`
// runs once, so that the caller can stop whatever starves it.
Result<double> RawCopyMicros(void* dst, const void* src, uint64_t bytes, cudaMemcpyKind kind,
                             cudaStream_t stream, cudaEvent_t done,
                             std::chrono::nanoseconds overdue_after = std::chrono::nanoseconds::max(),
                             const std::function<void()>& on_overdue = nullptr);
// `total` bytes as back-to-back copies of `chunk` bytes on one stream (wrapping over `buffer_bytes`), timed
// on the wall clock from the first issue to the stream's completion; bytes per second.
Result<double> RawStreamBytesPerSecond(void* dst, const void* src, uint64_t buffer_bytes, uint64_t chunk,
                                       uint64_t total, cudaMemcpyKind kind, cudaStream_t stream);

cudaMemcpyKind KindOf(Direction direction);

}  // namespace missile::pcie::bench
