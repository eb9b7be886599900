// Real bytes through real threads: several submitters, random sizes (empty, sub-chunk, ragged), pinned and
// pageable host memory, a host-to-device and a device-to-host scheduler over host memcpy engines, the second
// fed from the first's completion callbacks. Every byte must come back intact, every callback run once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <latch>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "pcie/host_memcpy_engine.h"
#include "pcie/transfer_scheduler.h"

namespace missile::pcie {
namespace {

constexpr int kThreads = 4;
constexpr int kTransfersPerThread = 40;
constexpr uint64_t kMaxTransfer = 640 * kKiB;

// FNV-1a over 8-byte words (the ragged tail zero-padded), with the length mixed in.
uint64_t Checksum(const std::vector<uint8_t>& bytes) {
  uint64_t hash = 1469598103934665603ull ^ bytes.size();
  for (size_t at = 0; at < bytes.size(); at += 8) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + at, std::min<size_t>(8, bytes.size() - at));
    hash = (hash ^ word) * 1099511628211ull;
  }
  return hash;
}

void FillRandom(std::vector<uint8_t>& bytes, std::mt19937_64& random) {
  for (size_t at = 0; at < bytes.size(); at += 8) {
    const uint64_t word = random();
    std::memcpy(bytes.data() + at, &word, std::min<size_t>(8, bytes.size() - at));
  }
}

// One transfer's buffers: host source, "device" copy, host result.
struct RoundTrip {
  TenantId tenant = 0;
  bool pageable = false;
  std::vector<uint8_t> source, device, result;
  uint64_t checksum = 0;
  std::atomic<int> callbacks = 0;
};

std::unique_ptr<TransferScheduler> MakeScheduler(const TransferConfig& config, Direction direction,
                                                 CopyEngine& engine, const Clock& clock,
                                                 HostAllocator& staging) {
  Result<std::unique_ptr<TransferScheduler>> created =
      TransferScheduler::Create(config, direction, engine, clock, &staging);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<TransferScheduler> scheduler = std::move(created).value();
  const TenantParams tenants[] = {{1024, false}, {3072, false}, {335, false}, {1024, true}};
  for (TenantId tenant = 0; tenant < 4; ++tenant)
    EXPECT_TRUE(scheduler->AddTenant(tenant, tenants[tenant]).ok());
  return scheduler;
}

TEST(PcieIntegrityTest, ConcurrentRoundTripsArriveIntact) {
  // Small chunks and few staging buffers, so that transfers interleave and staging runs out often.
  TransferConfig config;
  config.chunk_bytes = 32 * kKiB;
  config.bulk_chunk_bytes = 96 * kKiB;
  config.in_flight_chunks = 3;
  config.max_in_flight_copies = 8;
  config.staging_buffers = 2;

  SteadyClock clock;
  AlignedHostAllocator allocator;
  HostMemcpyEngine to_device_engine, to_host_engine;
  std::unique_ptr<TransferScheduler> to_host =
      MakeScheduler(config, Direction::kDeviceToHost, to_host_engine, clock, allocator);
  std::unique_ptr<TransferScheduler> to_device =
      MakeScheduler(config, Direction::kHostToDevice, to_device_engine, clock, allocator);

  std::vector<std::unique_ptr<RoundTrip>> trips;
  std::mt19937_64 random(42);
  for (int i = 0; i < kThreads * kTransfersPerThread; ++i) {
    auto trip = std::make_unique<RoundTrip>();
    trip->tenant = static_cast<TenantId>(random() % 4);
    trip->pageable = random() % 2 == 0;
    // A few empty and tiny transfers, the rest ragged sizes up to several chunks.
    const uint64_t kind = random() % 10;
    const uint64_t bytes = kind == 0 ? 0 : kind == 1 ? 1 + random() % 100 : random() % kMaxTransfer;
    trip->source.resize(bytes);
    FillRandom(trip->source, random);
    trip->device.resize(bytes);
    trip->result.resize(bytes);
    trip->checksum = Checksum(trip->source);
    trips.push_back(std::move(trip));
  }

  std::latch all_back(static_cast<std::ptrdiff_t>(trips.size()));
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  const auto record_error = [&](const Status& status) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(status.ToString());
  };

  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = t; i < static_cast<int>(trips.size()); i += kThreads) {
        RoundTrip& trip = *trips[i];
        // Host to device; its callback, on the engine thread, sends the bytes back.
        const Result<TransferId> id = to_device->Submit(
            {trip.tenant, trip.source.data(), trip.device.data(), trip.source.size(), trip.pageable},
            [&](const Status& status) {
              if (!status.ok()) record_error(status);
              const Result<TransferId> back = to_host->Submit(
                  {trip.tenant, trip.device.data(), trip.result.data(), trip.device.size(), trip.pageable},
                  [&](const Status& back_status) {
                    if (!back_status.ok()) record_error(back_status);
                    ++trip.callbacks;
                    all_back.count_down();
                  });
              if (!back.ok()) record_error(back.status());
            });
        if (!id.ok()) record_error(id.status());
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  all_back.wait();

  EXPECT_TRUE(errors.empty()) << errors.front();
  uint64_t total = 0;
  for (const auto& trip : trips) {
    EXPECT_EQ(trip->callbacks, 1);
    EXPECT_EQ(Checksum(trip->result), trip->checksum)
        << trip->source.size() << " bytes, tenant " << trip->tenant;
    EXPECT_EQ(trip->result, trip->source);
    total += trip->source.size();
  }
  for (TransferScheduler* scheduler : {to_device.get(), to_host.get()}) {
    uint64_t bytes = 0, transfers = 0;
    for (const TenantTransferStats& stats : scheduler->Metrics()) {
      bytes += stats.bytes;
      transfers += stats.transfers_completed;
      EXPECT_EQ(stats.transfers_failed, 0u);
    }
    EXPECT_EQ(bytes, total);
    EXPECT_EQ(transfers, trips.size());
  }
}

}  // namespace
}  // namespace missile::pcie
