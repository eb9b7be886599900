// Data integrity on the GPU: round trips host -> device -> host through a host-to-device and a device-to-host
// scheduler over CudaCopyEngines, the second submitted from the first one's callbacks, by four tenants (one
// LS) from four threads at once, half from pinned and half from pageable memory (staged through pinned
// buffers), ragged sizes up to integrity_max_bytes. Device memory and results start out filled with other
// bytes, so a chunk that never moved is caught. Run with the configured chunking, then with small chunks and
// two staging buffers, where tenants interleave inside every transfer and staging runs out.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "bench_support.h"
#include "device/cuda/cuda_status.h"
#include "pcie/cuda/pinned_host_allocator.h"
#include "transfer_bench.h"

namespace missile::pcie::bench {
namespace {

constexpr int kTenants = 4;
constexpr int kSubmitters = 4;
constexpr uint64_t kAlign = 256;

uint64_t Padded(uint64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

// FNV-1a over 8-byte words (the ragged tail zero-padded), with the length mixed in.
uint64_t Checksum(const std::byte* data, uint64_t bytes) {
  uint64_t hash = 1469598103934665603ull ^ bytes;
  for (uint64_t at = 0; at < bytes; at += 8) {
    uint64_t word = 0;
    std::memcpy(&word, data + at, std::min<uint64_t>(8, bytes - at));
    hash = (hash ^ word) * 1099511628211ull;
  }
  return hash;
}

struct RoundTrip {
  TenantId tenant = 0;
  bool pageable = false;
  uint64_t bytes = 0;
  uint64_t offset = 0;  // into the device arena, and into the pinned arenas when pinned
  std::vector<std::byte> pageable_source, pageable_result;
  std::byte* source = nullptr;
  std::byte* result = nullptr;
  uint64_t checksum = 0;
};

struct Workload {
  std::vector<RoundTrip> trips;
  device::cuda::DeviceBuffer device;
  device::cuda::PinnedBuffer pinned_sources, pinned_results;
  uint64_t total_bytes = 0;
};

Result<Workload> MakeWorkload(const BenchOptions& options) {
  Workload work;
  std::mt19937_64 random(options.seed + 7);
  work.trips.resize(options.integrity_transfers);
  uint64_t arena = kAlign;
  for (RoundTrip& trip : work.trips) {
    trip.tenant = static_cast<TenantId>(random() % kTenants);
    trip.pageable = random() % 2 == 0;
    const uint64_t kind = random() % 10;
    trip.bytes = kind == 0 ? 0 : kind == 1 ? 1 + random() % 100 : random() % options.integrity_max_bytes;
    trip.offset = arena;
    arena += Padded(trip.bytes);
    work.total_bytes += trip.bytes;
  }
  MISSILE_ASSIGN_OR_RETURN(work.device, device::cuda::DeviceBuffer::Allocate(arena));
  MISSILE_ASSIGN_OR_RETURN(work.pinned_sources, device::cuda::PinnedBuffer::Allocate(arena));
  MISSILE_ASSIGN_OR_RETURN(work.pinned_results, device::cuda::PinnedBuffer::Allocate(arena));
  for (RoundTrip& trip : work.trips) {
    if (trip.pageable) {
      trip.pageable_source.resize(trip.bytes);
      trip.pageable_result.resize(trip.bytes);
      trip.source = trip.pageable_source.data();
      trip.result = trip.pageable_result.data();
    } else {
      trip.source = work.pinned_sources.bytes() + trip.offset;
      trip.result = work.pinned_results.bytes() + trip.offset;
    }
    for (uint64_t at = 0; at < trip.bytes; at += 8) {
      const uint64_t word = random();
      std::memcpy(trip.source + at, &word, std::min<uint64_t>(8, trip.bytes - at));
    }
    trip.checksum = Checksum(trip.source, trip.bytes);
  }
  return work;
}

// Stale bytes in device memory and in every result.
Status Poison(Workload& work) {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemset(work.device.data(), 0xa5, work.device.size()));
  std::memset(work.pinned_results.data(), 0x5a, work.pinned_results.size());
  for (RoundTrip& trip : work.trips) {
    if (trip.pageable && trip.bytes > 0) std::memset(trip.pageable_result.data(), 0x5a, trip.bytes);
  }
  return Status::Ok();
}

Result<nlohmann::json> RoundTrips(const BenchOptions& options, Workload& work, const TransferConfig& config,
                                  const std::string& label) {
  MISSILE_RETURN_IF_ERROR(Poison(work));
  PinnedHostAllocator staging;
  MISSILE_ASSIGN_OR_RETURN(auto up_engine,
                           CudaCopyEngine::Create(Direction::kHostToDevice, options.EngineOptions()));
  MISSILE_ASSIGN_OR_RETURN(auto down_engine,
                           CudaCopyEngine::Create(Direction::kDeviceToHost, options.EngineOptions()));
  MISSILE_ASSIGN_OR_RETURN(auto up,
                           ScheduledLink::Create(config, Direction::kHostToDevice, *up_engine, &staging));
  MISSILE_ASSIGN_OR_RETURN(auto down,
                           ScheduledLink::Create(config, Direction::kDeviceToHost, *down_engine, &staging));
  const TenantParams tenants[kTenants] = {{1024, false}, {3072, false}, {335, false}, {9548, true}};
  for (TenantId tenant = 0; tenant < kTenants; ++tenant) {
    MISSILE_RETURN_IF_ERROR(up->AddTenant(tenant, tenants[tenant]));
    MISSILE_RETURN_IF_ERROR(down->AddTenant(tenant, tenants[tenant]));
  }

  std::latch all_back(static_cast<std::ptrdiff_t>(work.trips.size()));
  std::atomic<uint64_t> callbacks = 0;
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  const auto record_error = [&](const Status& status) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(status.ToString());
  };
  const WallClock::time_point start = WallClock::now();
  std::vector<std::thread> submitters;
  for (int t = 0; t < kSubmitters; ++t) {
    submitters.emplace_back([&, t] {
      for (size_t i = t; i < work.trips.size(); i += kSubmitters) {
        RoundTrip* trip = &work.trips[i];
        std::byte* on_device = work.device.bytes() + trip->offset;
        const Result<TransferId> id =
            up->scheduler->Submit({trip->tenant, trip->source, on_device, trip->bytes, trip->pageable},
                                  [&, trip, on_device](const Status& status) {
                                    if (!status.ok()) record_error(status);
                                    const Result<TransferId> back = down->scheduler->Submit(
                                        {trip->tenant, on_device, trip->result, trip->bytes, trip->pageable},
                                        [&](const Status& back_status) {
                                          if (!back_status.ok()) record_error(back_status);
                                          ++callbacks;
                                          all_back.count_down();
                                        });
                                    if (!back.ok()) {
                                      record_error(back.status());
                                      all_back.count_down();
                                    }
                                  });
        if (!id.ok()) {
          record_error(id.status());
          all_back.count_down();
        }
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  all_back.wait();
  const double seconds = SecondsSince(start);

  uint64_t mismatches = 0, pageable = 0;
  for (const RoundTrip& trip : work.trips) {
    if (Checksum(trip.result, trip.bytes) != trip.checksum) ++mismatches;
    if (trip.pageable) ++pageable;
  }
  uint64_t up_bytes = 0, down_bytes = 0;
  for (const TenantTransferStats& stats : up->scheduler->Metrics()) up_bytes += stats.bytes;
  for (const TenantTransferStats& stats : down->scheduler->Metrics()) down_bytes += stats.bytes;
  const bool ok = errors.empty() && mismatches == 0 && callbacks == work.trips.size() &&
                  up_bytes == work.total_bytes && down_bytes == work.total_bytes;
  fmt::print(
      "    {:>26} | {:5} transfers ({} pageable), {:7.1f} MiB each way, {:6.3f} s | mismatches {} errors {} "
      "| {}\n",
      label, work.trips.size(), pageable, static_cast<double>(work.total_bytes) / kMiB, seconds, mismatches,
      errors.size(), ok ? "OK" : "FAILED");
  for (size_t i = 0; i < std::min<size_t>(errors.size(), 5); ++i) fmt::print("      error: {}\n", errors[i]);
  return nlohmann::json{{"label", label},
                        {"chunk_bytes", config.chunk_bytes},
                        {"bulk_chunk_bytes", config.bulk_chunk_bytes},
                        {"staging_buffers", config.staging_buffers},
                        {"transfers", work.trips.size()},
                        {"pageable_transfers", pageable},
                        {"bytes_each_way", work.total_bytes},
                        {"scheduler_bytes", {up_bytes, down_bytes}},
                        {"seconds", seconds},
                        {"mismatches", mismatches},
                        {"errors", errors},
                        {"ok", ok}};
}

}  // namespace

Result<nlohmann::json> RunIntegrity(const BenchOptions& options) {
  fmt::print("\nIntegrity: checksummed round trips host -> device -> host, {} tenants on {} threads\n",
             kTenants, kSubmitters);
  MISSILE_ASSIGN_OR_RETURN(Workload work, MakeWorkload(options));
  TransferConfig small = options.SchedulerConfig();
  small.chunk_bytes = 64 * kKiB;
  small.bulk_chunk_bytes = 256 * kKiB;
  small.in_flight_chunks = 3;
  small.max_in_flight_copies = 8;
  small.staging_buffers = 2;
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& [config, label] : {std::pair{options.SchedulerConfig(), std::string("configured chunks")},
                                      std::pair{small, std::string("64/256 KiB chunks, 2 staged")}}) {
    MISSILE_ASSIGN_OR_RETURN(nlohmann::json run, RoundTrips(options, work, config, label));
    runs.push_back(run);
  }
  return runs;
}

}  // namespace missile::pcie::bench
