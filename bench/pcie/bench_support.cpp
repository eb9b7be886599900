#include "bench_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include "device/cuda/cuda_status.h"

namespace missile::pcie::bench {

std::string SizeLabel(uint64_t bytes) {
  return bytes >= kMiB && bytes % kMiB == 0 ? fmt::format("{} MiB", bytes / kMiB)
                                            : fmt::format("{} KiB", bytes / kKiB);
}

Summary Summarize(std::vector<double> values) {
  Summary summary;
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const size_t index = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(index, 1, values.size()) - 1];
  };
  summary.count = values.size();
  summary.p50 = rank(0.50);
  summary.p99 = rank(0.99);
  summary.max = values.back();
  summary.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return summary;
}

nlohmann::json ToJson(const Summary& summary) {
  return {{"count", summary.count},
          {"p50", summary.p50},
          {"p99", summary.p99},
          {"max", summary.max},
          {"mean", summary.mean}};
}

Result<std::unique_ptr<ScheduledLink>> ScheduledLink::Create(const TransferConfig& config,
                                                             Direction direction, CopyEngine& engine,
                                                             HostAllocator* staging_allocator) {
  auto link = std::make_unique<ScheduledLink>();
  MISSILE_ASSIGN_OR_RETURN(
      link->scheduler, TransferScheduler::Create(config, direction, engine, link->clock, staging_allocator));
  return link;
}

uint64_t ScheduledLink::CompletedBytes(TenantId tenant) const {
  for (const TenantTransferStats& stats : scheduler->Metrics()) {
    if (stats.tenant == tenant) return stats.bytes;
  }
  return 0;
}

Result<double> TimedTransfer(TransferScheduler& scheduler, const TransferRequest& request) {
  std::atomic<bool> done = false;
  double micros = 0;
  Status status;
  const WallClock::time_point start = WallClock::now();
  const Result<TransferId> id = scheduler.Submit(request, [&](const Status& outcome) {
    micros = MicrosSince(start);
    status = outcome;
    done.store(true, std::memory_order_release);
  });
  MISSILE_RETURN_IF_ERROR(id.status());
  while (!done.load(std::memory_order_acquire)) std::this_thread::yield();
  MISSILE_RETURN_IF_ERROR(status);
  return micros;
}

void Gaps::Sleep() {
  std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(gap_(random_)));
}

Result<std::vector<double>> SampleTransfers(TransferScheduler& scheduler, const TransferRequest& request,
                                            int count, Gaps& gaps) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i) {
    gaps.Sleep();
    MISSILE_ASSIGN_OR_RETURN(double micros, TimedTransfer(scheduler, request));
    samples.push_back(micros);
  }
  return samples;
}

Status BacklogTenant::Start() {
  running_ = true;
  for (int i = 0; i < outstanding_target_; ++i) SubmitOne();
  std::lock_guard lock(error_mutex_);
  return first_error_;
}

Status BacklogTenant::Stop() {
  running_ = false;
  // A completion that saw running_ set has already counted its replacement, so zero means drained.
  while (outstanding_.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  std::lock_guard lock(error_mutex_);
  return first_error_;
}

void BacklogTenant::SubmitOne() {
  ++outstanding_;
  const Result<TransferId> id = scheduler_.Submit(request_, [this](const Status& status) {
    if (!status.ok()) RecordError(status);
    if (status.ok() && running_) SubmitOne();
    --outstanding_;
  });
  if (!id.ok()) {
    RecordError(id.status());
    --outstanding_;
  }
}

void BacklogTenant::RecordError(const Status& status) {
  std::lock_guard lock(error_mutex_);
  if (first_error_.ok()) first_error_ = status;
}

Result<double> RawCopyMicros(void* dst, const void* src, uint64_t bytes, cudaMemcpyKind kind,
                             cudaStream_t stream, cudaEvent_t done, std::chrono::nanoseconds overdue_after,
                             const std::function<void()>& on_overdue) {
  const WallClock::time_point start = WallClock::now();
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst, src, bytes, kind, stream));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventRecord(done, stream));
  bool overdue = false;
  cudaError_t state = cudaEventQuery(done);
  while (state == cudaErrorNotReady) {
    if (!overdue && on_overdue && WallClock::now() - start > overdue_after) {
      overdue = true;
      on_overdue();
    }
    std::this_thread::yield();
    state = cudaEventQuery(done);
  }
  MISSILE_CUDA_RETURN_IF_ERROR(state);
  return MicrosSince(start);
}

Result<double> RawStreamBytesPerSecond(void* dst, const void* src, uint64_t buffer_bytes, uint64_t chunk,
                                       uint64_t total, cudaMemcpyKind kind, cudaStream_t stream) {
  if (chunk == 0 || chunk > buffer_bytes) {
    return Error(ErrorCode::kInvalidArgument, "copies of {} bytes do not fit a {}-byte buffer", chunk,
                 buffer_bytes);
  }
  const uint64_t per_buffer = buffer_bytes / chunk;
  const uint64_t copies = std::max<uint64_t>(1, total / chunk);
  const WallClock::time_point start = WallClock::now();
  for (uint64_t i = 0; i < copies; ++i) {
    const uint64_t offset = (i % per_buffer) * chunk;
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(static_cast<std::byte*>(dst) + offset,
                                                 static_cast<const std::byte*>(src) + offset, chunk, kind,
                                                 stream));
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return static_cast<double>(copies * chunk) / SecondsSince(start);
}

cudaMemcpyKind KindOf(Direction direction) {
  return direction == Direction::kHostToDevice ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
}

}  // namespace missile::pcie::bench
