#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "pcie/cfs_policy.h"

namespace missile::pcie {
namespace {

constexpr Nanos kT0{0};

// One chunk size, no quiet-period switching, generous bounds: the pure CFS arithmetic.
TransferConfig PlainConfig(uint64_t chunk_bytes = kMiB, uint32_t in_flight_chunks = 2) {
  TransferConfig config;
  config.chunk_bytes = chunk_bytes;
  config.bulk_chunk_bytes = chunk_bytes;
  config.in_flight_chunks = in_flight_chunks;
  config.max_in_flight_copies = 64;
  config.wakeup_credit_bytes = chunk_bytes;
  return config;
}

CfsTransferPolicy MakePolicy(const TransferConfig& config) {
  Result<CfsTransferPolicy> policy = CfsTransferPolicy::Create(config);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return std::move(policy).value();
}

TenantParams Weight(uint32_t weight, bool latency_sensitive = false) {
  return {weight, latency_sensitive};
}

// Issues and completes one chunk at a time (an engine with nothing in flight), returning who got it.
Chunk IssueAndComplete(CfsTransferPolicy& policy, Nanos now = kT0) {
  const std::optional<Chunk> chunk = policy.IssueNextChunk(now);
  EXPECT_TRUE(chunk.has_value());
  if (!chunk) return {};
  EXPECT_TRUE(policy.CompleteChunk(*chunk, now).ok());
  return *chunk;
}

TEST(PcieNiceWeightTest, FollowsLinuxTable) {
  EXPECT_EQ(*WeightForNice(0), 1024u);
  EXPECT_EQ(*WeightForNice(-20), 88761u);
  EXPECT_EQ(*WeightForNice(-5), 3121u);
  EXPECT_EQ(*WeightForNice(5), 335u);
  EXPECT_EQ(*WeightForNice(19), 15u);
  for (int nice = kMinNice; nice < kMaxNice; ++nice) {
    const double step = static_cast<double>(*WeightForNice(nice)) / *WeightForNice(nice + 1);
    EXPECT_NEAR(step, 1.25, 0.06) << "nice " << nice;  // the kernel rounds the small weights
  }
  EXPECT_EQ(WeightForNice(-21).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(WeightForNice(20).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(TenantParams::FromNice(-5, true)->weight, 3121u);
  EXPECT_TRUE(TenantParams::FromNice(-5, true)->latency_sensitive);
  EXPECT_FALSE(TenantParams::FromNice(30, false).ok());
}

TEST(PcieCfsPolicyTest, ConfigValidation) {
  EXPECT_TRUE(TransferConfig{}.Validate().ok());
  const auto expect_invalid = [](auto mutate, const char* what) {
    TransferConfig config;
    mutate(config);
    const Status status = config.Validate();
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << what;
    EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
    EXPECT_FALSE(CfsTransferPolicy::Create(config).ok());
  };
  expect_invalid([](TransferConfig& c) { c.chunk_bytes = 0; }, "chunk_bytes");
  expect_invalid([](TransferConfig& c) { c.chunk_bytes = 2 * kGiB; }, "chunk_bytes");
  expect_invalid([](TransferConfig& c) { c.bulk_chunk_bytes = c.chunk_bytes - 1; }, "bulk_chunk_bytes");
  expect_invalid([](TransferConfig& c) { c.ls_quiet_period = Nanos(-1); }, "ls_quiet_period");
  expect_invalid([](TransferConfig& c) { c.in_flight_chunks = 0; }, "in_flight_chunks");
  expect_invalid([](TransferConfig& c) { c.max_in_flight_copies = 0; }, "max_in_flight_copies");
  expect_invalid([](TransferConfig& c) { c.staging_buffers = 0; }, "staging_buffers");
}

TEST(PcieCfsPolicyTest, CutsTransfersIntoChunksWithARemainder) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB, /*in_flight_chunks=*/8));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  const uint64_t bytes = 2 * kMiB + kMiB / 2 + 3;
  ASSERT_TRUE(policy.Enqueue(1, 7, bytes, kT0).ok());

  std::vector<Chunk> chunks;
  while (std::optional<Chunk> chunk = policy.IssueNextChunk(kT0)) chunks.push_back(*chunk);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], (Chunk{1, 7, 0, kMiB}));
  EXPECT_EQ(chunks[1], (Chunk{1, 7, kMiB, kMiB}));
  EXPECT_EQ(chunks[2], (Chunk{1, 7, 2 * kMiB, kMiB / 2 + 3}));
  EXPECT_EQ(policy.in_flight_bytes(), bytes);

  // Completions may come in any order; the transfer ends with the last of them.
  EXPECT_FALSE(*policy.CompleteChunk(chunks[2], kT0));
  EXPECT_FALSE(*policy.CompleteChunk(chunks[0], kT0));
  EXPECT_TRUE(*policy.CompleteChunk(chunks[1], kT0));
  EXPECT_EQ(policy.in_flight_bytes(), 0u);
  EXPECT_EQ(policy.in_flight_copies(), 0u);
  // A transfer smaller than a chunk is one chunk.
  ASSERT_TRUE(policy.Enqueue(1, 8, 5, kT0).ok());
  EXPECT_EQ(IssueAndComplete(policy), (Chunk{1, 8, 0, 5}));
}

TEST(PcieCfsPolicyTest, InFlightBoundHoldsChunksBack) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB, /*in_flight_chunks=*/2));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, 10 * kMiB, kT0).ok());
  const Chunk first = *policy.IssueNextChunk(kT0);
  ASSERT_TRUE(policy.IssueNextChunk(kT0).has_value());
  EXPECT_FALSE(policy.PeekNextChunk(kT0).has_value()) << "2 MiB in flight is the bound";
  EXPECT_FALSE(policy.IssueNextChunk(kT0).has_value());
  ASSERT_TRUE(policy.CompleteChunk(first, kT0).ok());
  EXPECT_TRUE(policy.IssueNextChunk(kT0).has_value());

  // Small copies are bounded by count as well.
  TransferConfig config = PlainConfig(kMiB, 2);
  config.max_in_flight_copies = 3;
  CfsTransferPolicy small = MakePolicy(config);
  ASSERT_TRUE(small.AddTenant(1, Weight(1024)).ok());
  for (TransferId id = 1; id <= 5; ++id) ASSERT_TRUE(small.Enqueue(1, id, 4 * kKiB, kT0).ok());
  int issued = 0;
  while (small.IssueNextChunk(kT0)) ++issued;
  EXPECT_EQ(issued, 3);
  EXPECT_EQ(small.in_flight_bytes(), 12 * kKiB);
}

TEST(PcieCfsPolicyTest, ChargesVruntimeByBytesOverWeight) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(2048)).ok());
  ASSERT_TRUE(policy.AddTenant(3, Weight(3)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(2, 2, kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(3, 3, 1, kT0).ok());
  for (int i = 0; i < 3; ++i) IssueAndComplete(policy);
  EXPECT_EQ(*policy.VruntimeOf(1), kMiB);
  EXPECT_EQ(*policy.VruntimeOf(2), kMiB / 2);
  EXPECT_EQ(*policy.VruntimeOf(3), 342u) << "1 byte at weight 3 is 341.3 nice-0 bytes, rounded up";
}

TEST(PcieCfsPolicyTest, ServesTheSmallestVruntimeInWeightProportion) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(2048)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, 100 * kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(2, 2, 100 * kMiB, kT0).ok());
  std::string order;
  for (int i = 0; i < 12; ++i) order += IssueAndComplete(policy).tenant == 1 ? 'a' : 'b';
  // Ties go to the lower id; afterwards tenant 2 is charged half as much per chunk.
  EXPECT_EQ(order, "abbabbabbabb");
}

TEST(PcieCfsPolicyTest, TiesGoToLatencySensitiveThenLowerId) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(3, Weight(1024, /*latency_sensitive=*/true)).ok());
  ASSERT_TRUE(policy.Enqueue(2, 20, kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(1, 10, kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(3, 30, kMiB, kT0).ok());
  EXPECT_EQ(IssueAndComplete(policy).tenant, 3u);
  EXPECT_EQ(IssueAndComplete(policy).tenant, 1u);
  EXPECT_EQ(IssueAndComplete(policy).tenant, 2u);
}

TEST(PcieCfsPolicyTest, TransfersOfOneTenantLeaveInSubmissionOrder) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 9, 2 * kMiB, kT0).ok());
  ASSERT_TRUE(policy.Enqueue(1, 4, kMiB, kT0).ok());
  EXPECT_EQ(IssueAndComplete(policy).transfer, 9u);
  EXPECT_EQ(IssueAndComplete(policy).transfer, 9u);
  EXPECT_EQ(IssueAndComplete(policy).transfer, 4u);
}

TEST(PcieCfsPolicyTest, WakingTenantsGetBoundedCredit) {
  const uint64_t credit = 3 * kMiB;
  TransferConfig config = PlainConfig(kMiB);
  config.wakeup_credit_bytes = credit;
  CfsTransferPolicy policy = MakePolicy(config);
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024, /*latency_sensitive=*/true)).ok());
  ASSERT_TRUE(policy.AddTenant(3, Weight(1024)).ok());
  // Tenant 1 runs alone for 100 MiB while 2 and 3 sleep with vruntime 0.
  ASSERT_TRUE(policy.Enqueue(1, 1, 200 * kMiB, kT0).ok());
  for (int i = 0; i < 100; ++i) IssueAndComplete(policy);
  const uint64_t min_vruntime = policy.min_vruntime();
  EXPECT_EQ(min_vruntime, 100 * kMiB);

  ASSERT_TRUE(policy.Enqueue(2, 2, 50 * kMiB, kT0).ok());
  EXPECT_EQ(*policy.VruntimeOf(2), min_vruntime - credit) << "LS: no lower than min_vruntime - credit";
  ASSERT_TRUE(policy.Enqueue(3, 3, 50 * kMiB, kT0).ok());
  EXPECT_EQ(*policy.VruntimeOf(3), min_vruntime) << "BE: no credit";

  // The LS tenant's head start is exactly the credit: 3 chunks, then the three alternate.
  std::string order;
  for (int i = 0; i < 9; ++i) order += static_cast<char>('0' + IssueAndComplete(policy).tenant);
  EXPECT_EQ(order, "222213213");
}

TEST(PcieCfsPolicyTest, WakingAboveTheFloorKeepsOwnVruntime) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024, true)).ok());
  // Tenant 2 sends 10 MiB alone and goes idle: its vruntime is min_vruntime, above the credit floor.
  ASSERT_TRUE(policy.Enqueue(2, 1, 10 * kMiB, kT0).ok());
  for (int i = 0; i < 10; ++i) IssueAndComplete(policy);
  ASSERT_TRUE(policy.Enqueue(1, 2, 4 * kMiB, kT0).ok());
  EXPECT_EQ(*policy.VruntimeOf(1), 10 * kMiB) << "BE wakes at min_vruntime";
  ASSERT_TRUE(policy.Enqueue(2, 3, kMiB, kT0).ok());
  EXPECT_EQ(*policy.VruntimeOf(2), 10 * kMiB) << "already above min_vruntime - credit: unchanged";
  EXPECT_EQ(IssueAndComplete(policy).tenant, 2u) << "equal vruntimes: the LS tenant first";
}

TEST(PcieCfsPolicyTest, NewTenantStartsAtMinVruntime) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, 8 * kMiB, kT0).ok());
  for (int i = 0; i < 8; ++i) IssueAndComplete(policy);
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024)).ok());
  EXPECT_EQ(*policy.VruntimeOf(2), policy.min_vruntime());
  EXPECT_EQ(policy.min_vruntime(), 8 * kMiB);
}

TEST(PcieCfsPolicyTest, LoneTenantIsAlwaysServed) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  ASSERT_TRUE(policy.AddTenant(1, Weight(15)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(88761)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, 64 * kMiB, kT0).ok());
  // However far its vruntime runs ahead, the lightest tenant alone gets every chunk it can have in flight.
  for (int i = 0; i < 64; ++i) EXPECT_EQ(IssueAndComplete(policy).tenant, 1u);
}

TEST(PcieCfsPolicyTest, ChunksShrinkWhileAnotherLatencySensitiveTenantIsActive) {
  TransferConfig config;
  config.chunk_bytes = 2 * kMiB;
  config.bulk_chunk_bytes = 8 * kMiB;
  config.ls_quiet_period = std::chrono::milliseconds(100);
  CfsTransferPolicy policy = MakePolicy(config);
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024, /*latency_sensitive=*/true)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, kGiB, kT0).ok());
  EXPECT_EQ(IssueAndComplete(policy).bytes, 8 * kMiB) << "no LS tenant has been active: bulk chunks";

  const Nanos t1 = std::chrono::milliseconds(5);
  ASSERT_TRUE(policy.Enqueue(2, 2, 3 * kMiB, t1).ok());
  const Chunk ls_chunk = *policy.IssueNextChunk(t1);
  EXPECT_EQ(ls_chunk.tenant, 2u) << "the waking LS tenant goes first";
  EXPECT_EQ(ls_chunk.bytes, 3 * kMiB) << "no other LS tenant is active: the LS tenant's own chunks are bulk";
  EXPECT_FALSE(policy.PeekNextChunk(t1).has_value())
      << "LS busy: the BE tenant's bound is two 2 MiB chunks, and 3 MiB are in flight";
  ASSERT_TRUE(policy.CompleteChunk(ls_chunk, t1).ok());
  EXPECT_EQ(policy.PeekNextChunk(t1)->bytes, 2 * kMiB)
      << "LS active recently: small chunks for everyone else";
  EXPECT_EQ(policy.PeekNextChunk(t1 + config.ls_quiet_period - Nanos(1))->bytes, 2 * kMiB);
  EXPECT_EQ(policy.PeekNextChunk(t1 + config.ls_quiet_period)->bytes, 8 * kMiB)
      << "quiet for the whole period";
}

TEST(PcieCfsPolicyTest, BulkChunksRespectTheBoundOfTheNextChunk) {
  TransferConfig config;
  config.chunk_bytes = 2 * kMiB;  // 2 MiB / 8 MiB chunks, 2 in flight
  config.bulk_chunk_bytes = 8 * kMiB;
  CfsTransferPolicy policy = MakePolicy(config);
  ASSERT_TRUE(policy.AddTenant(1, Weight(1024)).ok());
  ASSERT_TRUE(policy.AddTenant(2, Weight(1024, /*latency_sensitive=*/true)).ok());
  ASSERT_TRUE(policy.Enqueue(1, 1, kGiB, kT0).ok());
  const Chunk bulk_a = *policy.IssueNextChunk(kT0);
  const Chunk bulk_b = *policy.IssueNextChunk(kT0);
  EXPECT_EQ(policy.in_flight_bytes(), 16 * kMiB);
  // An LS copy arriving now goes next, but only once it fits within 2 of its chunks: after one bulk chunk.
  ASSERT_TRUE(policy.Enqueue(2, 2, 64 * kKiB, kT0).ok());
  EXPECT_FALSE(policy.PeekNextChunk(kT0).has_value());
  ASSERT_TRUE(policy.CompleteChunk(bulk_a, kT0).ok());
  const Chunk ls = *policy.IssueNextChunk(kT0);
  EXPECT_EQ(ls.tenant, 2u);
  // The BE tenant now cuts 2 MiB chunks and may only follow once in-flight bytes drop to 2 MiB.
  EXPECT_FALSE(policy.PeekNextChunk(kT0).has_value());
  ASSERT_TRUE(policy.CompleteChunk(bulk_b, kT0).ok());
  EXPECT_EQ(policy.IssueNextChunk(kT0)->bytes, 2 * kMiB);
}

TEST(PcieCfsPolicyTest, RejectsInvalidCalls) {
  CfsTransferPolicy policy = MakePolicy(PlainConfig(kMiB));
  EXPECT_EQ(policy.Enqueue(5, 1, kMiB, kT0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(policy.VruntimeOf(5).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(policy.RemoveTenant(5).code(), ErrorCode::kNotFound);
  EXPECT_EQ(policy.AddTenant(1, Weight(0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(policy.AddTenant(1, Weight(kMaxWeight + 1)).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(policy.AddTenant(1, Weight(kMaxWeight)).ok());
  const Status duplicate = policy.AddTenant(1, Weight(1024));
  EXPECT_EQ(duplicate.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(duplicate.message().find("already registered"), std::string::npos);
  EXPECT_EQ(policy.Enqueue(1, 1, 0, kT0).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(policy.Enqueue(1, 1, kMiB, kT0).ok());
  EXPECT_EQ(policy.Enqueue(1, 1, kMiB, kT0).code(), ErrorCode::kInvalidArgument) << "transfer id in use";

  EXPECT_EQ(policy.RemoveTenant(1).code(), ErrorCode::kFailedPrecondition) << "queued";
  const Chunk chunk = *policy.IssueNextChunk(kT0);
  EXPECT_EQ(policy.RemoveTenant(1).code(), ErrorCode::kFailedPrecondition) << "in flight";
  EXPECT_EQ(policy.CompleteChunk({1, 99, 0, kMiB}, kT0).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(policy.CompleteChunk({1, 1, 0, 2 * kMiB}, kT0).status().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(*policy.CompleteChunk(chunk, kT0));
  EXPECT_EQ(policy.CompleteChunk(chunk, kT0).status().code(), ErrorCode::kFailedPrecondition) << "twice";
  EXPECT_TRUE(policy.RemoveTenant(1).ok());
  EXPECT_FALSE(policy.HasTenant(1));
}

// Random weights, random in-flight completion order: every backlogged tenant's share of the bytes stays
// within 1% of its weight share, and min_vruntime never moves back.
TEST(PcieCfsPolicyTest, SharesFollowRandomWeightsUnderRandomCompletionOrder) {
  std::mt19937 random(20261125);
  CfsTransferPolicy policy = MakePolicy(PlainConfig(256 * kKiB, /*in_flight_chunks=*/4));
  std::map<TenantId, uint32_t> weights;
  for (TenantId tenant = 1; tenant <= 6; ++tenant) {
    weights[tenant] = *WeightForNice(static_cast<int>(random() % 11) - 5);
    ASSERT_TRUE(policy.AddTenant(tenant, Weight(weights[tenant])).ok());
    ASSERT_TRUE(policy.Enqueue(tenant, tenant, 100 * kGiB, kT0).ok());
  }
  std::map<TenantId, uint64_t> bytes;
  std::vector<Chunk> in_flight;
  uint64_t last_min = 0;
  for (int step = 0; step < 40000; ++step) {
    while (std::optional<Chunk> chunk = policy.IssueNextChunk(kT0)) in_flight.push_back(*chunk);
    const size_t done = random() % in_flight.size();
    ASSERT_TRUE(policy.CompleteChunk(in_flight[done], kT0).ok());
    bytes[in_flight[done].tenant] += in_flight[done].bytes;
    in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(done));
    ASSERT_GE(policy.min_vruntime(), last_min);
    last_min = policy.min_vruntime();
  }
  uint64_t total_bytes = 0, total_weight = 0;
  for (const auto& [tenant, weight] : weights) {
    total_bytes += bytes[tenant];
    total_weight += weight;
  }
  for (const auto& [tenant, weight] : weights) {
    const double share = static_cast<double>(bytes[tenant]) / total_bytes;
    const double expected = static_cast<double>(weight) / total_weight;
    EXPECT_NEAR(share / expected, 1.0, 0.01) << "tenant " << tenant << " weight " << weight;
  }
}

}  // namespace
}  // namespace missile::pcie
