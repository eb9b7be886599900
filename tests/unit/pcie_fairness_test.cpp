// The transfer scheduler on a modelled H200 link (55.3 GB/s, 3 us per copy): weighted shares, a lone tenant's
// utilisation, no starvation, and the wake-up credit bound. Everything runs in virtual time: deterministic,
// and gigabytes of traffic take milliseconds to model.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <vector>

#include "pcie_test_support.h"

namespace missile::pcie {
namespace {

using std::chrono::milliseconds;
using testing::ModelledLink;

constexpr uint64_t kBacklogTransfer = 256 * kMiB;

double Seconds(Nanos duration) {
  return std::chrono::duration<double>(duration).count();
}

// Backlogs every tenant for longer than `window`, runs the window, and checks each tenant's share of the
// bytes against its share of the weights.
void ExpectSharesFollowWeights(const std::map<TenantId, TenantParams>& tenants, Nanos window) {
  ModelledLink link;
  uint32_t total_weight = 0;
  for (const auto& [tenant, params] : tenants) total_weight += params.weight;
  const double link_bytes = link.engine().model().bytes_per_second * Seconds(window);
  for (const auto& [tenant, params] : tenants) {
    link.AddTenant(tenant, params);
    const double share_bytes = link_bytes * params.weight / total_weight;
    link.Backlog(tenant, static_cast<int>(share_bytes / kBacklogTransfer) + 2, kBacklogTransfer);
  }
  link.clock().RunUntil(window);

  std::map<TenantId, uint64_t> bytes;
  uint64_t total_bytes = 0;
  for (const TenantTransferStats& stats : link.scheduler().Metrics()) {
    bytes[stats.tenant] = stats.bytes;
    total_bytes += stats.bytes;
  }
  for (const auto& [tenant, params] : tenants) {
    const double share = static_cast<double>(bytes[tenant]) / total_bytes;
    const double expected = static_cast<double>(params.weight) / total_weight;
    std::printf("[ measured ] tenant %u weight %u: share %.4f, expected %.4f (%.2f%% off)\n", tenant,
                params.weight, share, expected, 100 * (share / expected - 1));
    EXPECT_NEAR(share / expected, 1.0, 0.05) << "tenant " << tenant;
  }
  std::printf("[ measured ] link utilisation %.4f\n", total_bytes / link_bytes);
}

TEST(PcieFairnessTest, BackloggedSharesFollowWeightsOneToThree) {
  ExpectSharesFollowWeights({{1, {1024, false}}, {2, {3072, false}}}, milliseconds(200));
}

TEST(PcieFairnessTest, BackloggedSharesFollowWeightsOneToTwoToFive) {
  ExpectSharesFollowWeights({{1, {1024, false}}, {2, {2048, false}}, {3, {5120, false}}}, milliseconds(200));
}

TEST(PcieFairnessTest, BackloggedSharesFollowNiceValues) {
  // nice 0 : nice -5 : nice 5 = 1024 : 3121 : 335, with one LS tenant among them (small chunks all along).
  ExpectSharesFollowWeights({{1, *TenantParams::FromNice(0, false)},
                             {2, *TenantParams::FromNice(-5, true)},
                             {3, *TenantParams::FromNice(5, false)}},
                            milliseconds(200));
}

// Utilisation of a lone tenant moving 1 GiB, against the modelled link's bandwidth.
double LoneTenantUtilisation(const TransferConfig& config, const CopyEngineModel& model) {
  ModelledLink link(config, model);
  link.AddTenant(1, {});
  const uint64_t bytes = kGiB;
  const testing::ModelledTransfer& transfer = link.SubmitAt(Nanos(0), 1, bytes);
  link.clock().RunUntilIdle();
  EXPECT_TRUE(transfer.status.ok());
  return bytes / Seconds(transfer.latency()) / model.bytes_per_second;
}

TEST(PcieFairnessTest, LoneTenantGetsTheLink) {
  const double h2d = LoneTenantUtilisation({}, CopyEngineModel::H200HostToDevice());
  const double d2h = LoneTenantUtilisation({}, CopyEngineModel::H200DeviceToHost());
  std::printf(
      "[ measured ] lone tenant, default config: %.2f%% of host-to-device, %.2f%% of device-to-host\n",
      100 * h2d, 100 * d2h);
  EXPECT_GE(h2d, 0.97);
  EXPECT_GE(d2h, 0.97);
}

TEST(PcieFairnessTest, LoneTenantUtilisationIsChunkOverOccupancy) {
  // The arithmetic behind the default bulk chunk: utilisation = S / (S + overhead * bandwidth).
  const CopyEngineModel model = CopyEngineModel::H200HostToDevice();
  for (uint64_t chunk : {kMiB, 2 * kMiB, 4 * kMiB, 8 * kMiB, 16 * kMiB}) {
    TransferConfig config;
    config.chunk_bytes = config.bulk_chunk_bytes = chunk;
    const double measured = LoneTenantUtilisation(config, model);
    const double predicted =
        static_cast<double>(chunk) / (chunk + Seconds(model.per_copy_overhead) * model.bytes_per_second);
    std::printf("[ measured ] %2llu MiB chunks: %.2f%% of the link (predicted %.2f%%)\n",
                static_cast<unsigned long long>(chunk / kMiB), 100 * measured, 100 * predicted);
    EXPECT_NEAR(measured, predicted, 0.001);
  }
}

TEST(PcieFairnessTest, HeavyTenantDoesNotStarveManySmallOnes) {
  ModelledLink link;
  link.AddTenant(0, {});
  link.Backlog(0, 40, kBacklogTransfer);
  // Twenty tenants of equal weight each send 1 MiB every 10 ms, staggered by 0.5 ms.
  constexpr int kSmallTenants = 20;
  constexpr int kRounds = 15;
  std::vector<const testing::ModelledTransfer*> small;
  for (TenantId tenant = 1; tenant <= kSmallTenants; ++tenant) {
    link.AddTenant(tenant, {});
    for (int round = 0; round < kRounds; ++round) {
      small.push_back(
          &link.SubmitAt(milliseconds(10 * round) + std::chrono::microseconds(500 * tenant), tenant, kMiB));
    }
  }
  link.clock().RunUntil(milliseconds(10 * kRounds + 20));
  Nanos worst{0};
  for (const testing::ModelledTransfer* transfer : small) {
    ASSERT_TRUE(transfer->completed_at.has_value()) << "a small tenant starved";
    worst = std::max(worst, transfer->latency());
  }
  // A waking BE tenant starts at min_vruntime: at most the in-flight bulk chunks and one more heavy chunk
  // go before it.
  const CopyEngineModel model = CopyEngineModel::H200HostToDevice();
  const Nanos bound = 3 * model.Occupancy(8 * kMiB) + model.Occupancy(kMiB);
  std::printf("[ measured ] worst small-tenant latency beside a heavy one: %.1f us (bound %.1f us)\n",
              worst.count() / 1e3, bound.count() / 1e3);
  EXPECT_LE(worst, bound);
  const double heavy_bandwidth = link.StatsOf(0).bytes / Seconds(link.clock().Now());
  EXPECT_GE(heavy_bandwidth, 0.9 * model.bytes_per_second) << "the heavy tenant still gets the rest";
}

TEST(PcieFairnessTest, LightTenantsGetTheirShareAtAnExtremeWeightRatio) {
  // nice -20 against eight nice-19 tenants: 88761 : 15 each. A light tenant's share is one bulk chunk every
  // ~0.9 s of link; over 2 s each must have had it, within the one-chunk granularity of the charges.
  ModelledLink link;
  link.AddTenant(0, *TenantParams::FromNice(-20, false));
  link.Backlog(0, 120, kGiB);
  for (TenantId tenant = 1; tenant <= 8; ++tenant) {
    link.AddTenant(tenant, *TenantParams::FromNice(19, false));
    link.Backlog(tenant, 1, 64 * kMiB);
  }
  link.clock().RunUntil(std::chrono::seconds(2));
  uint64_t total_bytes = 0;
  for (const TenantTransferStats& stats : link.scheduler().Metrics()) total_bytes += stats.bytes;
  const double expected = static_cast<double>(total_bytes) * 15 / (88761 + 8 * 15);
  const double chunk = static_cast<double>(TransferConfig{}.bulk_chunk_bytes);
  for (TenantId tenant = 1; tenant <= 8; ++tenant) {
    const TenantTransferStats stats = link.StatsOf(tenant);
    EXPECT_GE(stats.chunks, 2u) << "tenant " << tenant;
    EXPECT_NEAR(static_cast<double>(stats.bytes), expected, 2 * chunk) << "tenant " << tenant;
  }
  std::printf("[ measured ] nice 19 beside nice -20 for 2 s: %.1f MB each (weighted share %.1f MB)\n",
              link.StatsOf(1).bytes / 1e6, expected / 1e6);
}

TEST(PcieFairnessTest, ReturningTenantCannotMonopoliseTheLink) {
  ModelledLink link;
  link.AddTenant(1, {});
  link.AddTenant(2, {kNice0Weight, /*latency_sensitive=*/true});  // gets the largest credit there is
  link.Backlog(1, 40, kBacklogTransfer);
  // Tenant 2 sleeps for 100 ms while tenant 1 moves ~5.5 GB, then backlogs.
  const Nanos wake = milliseconds(100);
  for (int i = 0; i < 20; ++i) link.SubmitAt(wake, 2, kBacklogTransfer);
  link.clock().RunUntil(wake);
  const uint64_t before_1 = link.StatsOf(1).bytes;
  link.clock().RunUntil(wake + milliseconds(20));
  const uint64_t after_1 = link.StatsOf(1).bytes - before_1;
  const uint64_t after_2 = link.StatsOf(2).bytes;
  // Unbounded credit would hand tenant 2 the link for ~100 ms; the bound allows it one credit of lead.
  const TransferConfig defaults;
  std::printf("[ measured ] 20 ms after waking: returning tenant %.1f MB, running tenant %.1f MB\n",
              after_2 / 1e6, after_1 / 1e6);
  EXPECT_LE(after_2,
            after_1 + defaults.wakeup_credit_bytes + defaults.in_flight_chunks * defaults.bulk_chunk_bytes);
  EXPECT_NEAR(static_cast<double>(after_2) / (after_1 + after_2), 0.5, 0.025);
}

}  // namespace
}  // namespace missile::pcie
