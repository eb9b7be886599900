// The head-of-line blocking DEVICE.md measured (a 64 KiB LS copy behind forty queued 256 MiB BE copies: 188.7
// ms at p99), reproduced on the modelled link without a scheduler, and removed by it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "pcie_test_support.h"

namespace missile::pcie {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::ModelledLink;

constexpr TenantId kBe = 1;
constexpr TenantId kLs = 2;
constexpr uint64_t kLsCopy = 64 * kKiB;

// Without a scheduler: every copy goes straight onto the engine's FIFO queue.
Nanos FifoLsLatency(Nanos ls_arrival) {
  VirtualClock clock;
  ModelledCopyEngine engine(clock, CopyEngineModel::H200HostToDevice());
  struct : CopyListener {
    void OnChunkCopied(ChunkCopy& copy, Status) override {
      if (copy.bytes == kLsCopy) done = clock->Now();
    }
    const Clock* clock;
    Nanos done{0};
  } listener;
  listener.clock = &clock;
  std::vector<ChunkCopy> be(40, ChunkCopy{nullptr, nullptr, 256 * kMiB});
  for (ChunkCopy& copy : be) engine.Issue(copy, listener);
  ChunkCopy ls{nullptr, nullptr, kLsCopy};
  clock.At(ls_arrival, [&] { engine.Issue(ls, listener); });
  clock.RunUntilIdle();
  return listener.done - ls_arrival;
}

TEST(PcieLsLatencyTest, SchedulerBoundsTheWaitThatFifoMakesHuge) {
  const CopyEngineModel model = CopyEngineModel::H200HostToDevice();
  const TransferConfig config;
  ModelledLink link(config, model);
  link.AddTenant(kBe, {});
  link.AddTenant(kLs, {kNice0Weight, /*latency_sensitive=*/true});
  link.Backlog(kBe, 40, 256 * kMiB);
  // LS copies at irregular phases against the BE chunk train, every ~2.3 ms: after the first, the LS tenant
  // counts as active and BE traffic moves in small chunks.
  std::vector<const testing::ModelledTransfer*> ls;
  for (int i = 0; i < 60; ++i) {
    ls.push_back(&link.SubmitAt(milliseconds(1) + microseconds(2345 * i + (i * 7919) % 1000), kLs, kLsCopy));
  }
  link.clock().RunUntil(milliseconds(200));

  // The in-flight bound plus the copy itself, at one per-copy overhead each.
  const auto bound = [&](uint64_t chunk) {
    return config.in_flight_chunks * model.Occupancy(chunk) + model.Occupancy(kLsCopy);
  };
  ASSERT_TRUE(ls[0]->completed_at.has_value());
  const Nanos first = ls[0]->latency();
  Nanos worst_active{0};
  for (size_t i = 1; i < ls.size(); ++i) {
    ASSERT_TRUE(ls[i]->completed_at.has_value());
    worst_active = std::max(worst_active, ls[i]->latency());
  }
  const Nanos fifo = FifoLsLatency(milliseconds(1));
  std::printf(
      "[ measured ] LS 64 KiB copy behind 40 x 256 MiB: FIFO %.1f ms; CFS first copy (bulk chunks) %.1f us "
      "(bound %.1f us), later copies worst %.1f us (bound %.1f us)\n",
      fifo.count() / 1e6, first.count() / 1e3, bound(config.bulk_chunk_bytes).count() / 1e3,
      worst_active.count() / 1e3, bound(config.chunk_bytes).count() / 1e3);
  EXPECT_LE(first, bound(config.bulk_chunk_bytes));
  EXPECT_LE(worst_active, bound(config.chunk_bytes));
  EXPECT_GT(fifo, milliseconds(150)) << "the FIFO baseline reproduces the measured head-of-line blocking";
  EXPECT_GT(fifo / worst_active, 1000);

  // Meanwhile BE keeps the rest of the link, in small chunks: what a lone tenant gets from chunks of that
  // size (S / (S + overhead * bandwidth)), less the LS copies' own time.
  const TenantTransferStats be = link.StatsOf(kBe);
  const double be_share = be.bytes / (model.bytes_per_second * 0.2);
  const double small_chunk_utilisation = static_cast<double>(config.chunk_bytes) /
                                         (static_cast<double>(config.chunk_bytes) +
                                          model.per_copy_overhead.count() * 1e-9 * model.bytes_per_second);
  std::printf(
      "[ measured ] BE throughput while LS is active: %.2f%% of the link (small chunks alone: %.2f%%)\n",
      100 * be_share, 100 * small_chunk_utilisation);
  EXPECT_GE(be_share, 0.97 * small_chunk_utilisation);
  const TenantTransferStats ls_stats = link.StatsOf(kLs);
  EXPECT_EQ(ls_stats.transfers_completed, ls.size());
  EXPECT_LE(ls_stats.latency.max, bound(config.bulk_chunk_bytes));
}

TEST(PcieLsLatencyTest, WaitIsBoundedAtEveryPhaseOfTheChunkTrain) {
  // One LS copy per run, arriving at 200 phases across two bulk chunks' time; BE had the link alone before.
  const CopyEngineModel model = CopyEngineModel::H200HostToDevice();
  const TransferConfig config;
  const Nanos bound =
      config.in_flight_chunks * model.Occupancy(config.bulk_chunk_bytes) + model.Occupancy(kLsCopy);
  const Nanos span = 2 * model.Occupancy(config.bulk_chunk_bytes);
  Nanos worst{0};
  for (int phase = 0; phase < 200; ++phase) {
    ModelledLink link(config, model);
    link.AddTenant(kBe, {});
    link.AddTenant(kLs, {kNice0Weight, true});
    link.Backlog(kBe, 1, 256 * kMiB);
    const testing::ModelledTransfer& ls = link.SubmitAt(milliseconds(1) + span * phase / 200, kLs, kLsCopy);
    link.clock().RunUntil(milliseconds(3));
    ASSERT_TRUE(ls.completed_at.has_value());
    worst = std::max(worst, ls.latency());
  }
  std::printf("[ measured ] LS wait over 200 phases: worst %.1f us, bound %.1f us\n", worst.count() / 1e3,
              bound.count() / 1e3);
  EXPECT_LE(worst, bound);
}

}  // namespace
}  // namespace missile::pcie
