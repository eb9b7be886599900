// The device benchmark of issue 5 (the PCIe transfer scheduler on the H200), split by scenario:
//   ls_latency_scenario.cpp  (a) LS copies beside a bulk BE stream: raw CUDA vs the scheduler, and solo
//   share_scenario.cpp       (b) backlogged BE tenants with weights 1:3 and 1:2:5: achieved byte shares
//   throughput_scenario.cpp  (c) link throughput, scheduler vs raw cudaMemcpyAsync, per chunk size
//   integrity_scenario.cpp   checksummed round trips through both schedulers, tenants interleaved
//   sweep_scenario.cpp       (d) where an LS copy's time goes: engine variants solo, policy variants beside
//   BE
// transfer_bench.cpp parses the flags, runs the scenarios asked for, prints a table and writes JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/status.h"
#include "device/cuda/device_memory.h"
#include "pcie/cuda/cuda_copy_engine.h"
#include "pcie/transfer_config.h"

namespace missile::pcie::bench {

struct BenchOptions {
  // The scheduler's parameters (TransferConfig's defaults unless given).
  uint64_t chunk_bytes = TransferConfig{}.chunk_bytes;
  uint64_t bulk_chunk_bytes = TransferConfig{}.bulk_chunk_bytes;
  uint32_t in_flight_chunks = TransferConfig{}.in_flight_chunks;
  uint32_t max_in_flight_copies = TransferConfig{}.max_in_flight_copies;
  CopyWait wait = CopyWait::kSpin;
  // The CUDA engine's (CudaCopyEngineOptions' defaults unless given).
  int64_t idle_spin_us = CudaCopyEngineOptions{}.idle_spin.count();
  bool direct_issue = CudaCopyEngineOptions{}.direct_issue;

  // (a) LS copies of each size, one at a time with exponential gaps, beside a BE tenant copying be_bytes at a
  // time. Raw CUDA copies behind the 188 ms queue take ~0.2 s each, hence their own, smaller count and a cap.
  std::vector<uint64_t> ls_sizes = {64 * kKiB, 1 * kMiB, 16 * kMiB};
  int ls_count = 200;
  int raw_ls_count = 20;
  int ls_warmup = 10;
  double ls_gap_us = 1000;
  std::vector<int> ls_nices = {-10, 0};  // the LS tenant's nice, one run each; BE is nice 0
  uint64_t be_bytes = 256 * kMiB;
  int raw_be_queue = 40;        // raw: copies the BE stream keeps queued (DEVICE.md's 188.7 ms case)
  int be_outstanding = 4;       // scheduler: BE transfers kept submitted
  double raw_max_seconds = 8;   // per LS size: raw LS copies stop being sampled after this long
  double raw_starve_ms = 1000;  // a raw LS copy still running after this pauses the BE refills

  // (b)
  double share_seconds = 1.5;
  double share_warmup_seconds = 0.2;
  int share_outstanding = 2;

  // (c)
  std::vector<uint64_t> chunk_sizes = {1 * kMiB, 2 * kMiB, 4 * kMiB, 8 * kMiB};
  uint64_t throughput_bytes = 2 * kGiB;
  int reps = 3;

  // Integrity
  int integrity_transfers = 96;
  uint64_t integrity_max_bytes = 16 * kMiB;

  // (d) Policy variants beside BE: every chunk_bytes here with every in_flight_chunks (bulk chunks as
  // configured); LS nice sweep_nice. Engine variants solo: the first design (no direct issue, no idle spin),
  // direct issue alone, direct issue with idle_spin_us.
  std::vector<uint64_t> sweep_chunks = {256 * kKiB, 512 * kKiB, 768 * kKiB, 1 * kMiB, 2 * kMiB};
  std::vector<uint32_t> sweep_in_flight = {1, 2};
  int sweep_nice = -10;

  uint64_t seed = 1;

  TransferConfig SchedulerConfig() const;
  CudaCopyEngineOptions EngineOptions() const {
    return {.wait = wait, .idle_spin = std::chrono::microseconds(idle_spin_us), .direct_issue = direct_issue};
  }
};

// Host and device buffers of be_bytes (at least the largest LS copy), allocated and touched once: every bulk
// copy reads and writes these, since only the traffic matters.
struct BenchBuffers {
  device::cuda::PinnedBuffer host;
  device::cuda::DeviceBuffer device;
  device::cuda::PinnedBuffer ls_host;
  device::cuda::DeviceBuffer ls_device;

  static Result<BenchBuffers> Allocate(const BenchOptions& options);
};

Result<nlohmann::json> RunLsLatency(const BenchOptions& options, BenchBuffers& buffers);
Result<nlohmann::json> RunShares(const BenchOptions& options, BenchBuffers& buffers);
Result<nlohmann::json> RunThroughput(const BenchOptions& options, BenchBuffers& buffers);
Result<nlohmann::json> RunIntegrity(const BenchOptions& options);
Result<nlohmann::json> RunSweep(const BenchOptions& options, BenchBuffers& buffers);

}  // namespace missile::pcie::bench
