// A tenant's transfer route (server::DeviceTransfers::RouteFor): what a session's backend calls for its
// host<->device copies. On the CPU, over the host memcpy engines: every span lands intact, pinned or
// pageable (staged), chunked when larger than a chunk; the bytes are charged to the route's tenant and no
// other; an unknown tenant's copies fail; routes of several tenants used from several threads at once keep
// every byte.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "server/device_transfers.h"

namespace missile::server {
namespace {

using pcie::Direction;
using pcie::kKiB;
using pcie::kMiB;

std::vector<std::byte> RandomBytes(size_t bytes, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::byte> data(bytes);
  for (std::byte& b : data) b = static_cast<std::byte>(random());
  return data;
}

const pcie::TenantTransferStats* StatsOf(const std::vector<pcie::TenantTransferStats>& stats,
                                         pcie::TenantId tenant) {
  for (const pcie::TenantTransferStats& entry : stats) {
    if (entry.tenant == tenant) return &entry;
  }
  return nullptr;
}

std::unique_ptr<DeviceTransfers> MakeTransfers() {
  pcie::TransferConfig config;
  config.chunk_bytes = 256 * kKiB;  // small, so that the spans below leave in several chunks
  config.bulk_chunk_bytes = kMiB;
  auto transfers = DeviceTransfers::CreateHostMemcpy(config);
  EXPECT_TRUE(transfers.ok()) << transfers.status().ToString();
  if (!transfers.ok()) std::abort();
  EXPECT_TRUE((*transfers)->AddTenant(1, {}).ok());
  EXPECT_TRUE((*transfers)->AddTenant(2, {pcie::kNice0Weight, /*latency_sensitive=*/true}).ok());
  return std::move(transfers).value();
}

TEST(PcieTransferRouteTest, CopiesEverySpanIntactAndChargesTheTenant) {
  std::unique_ptr<DeviceTransfers> transfers = MakeTransfers();
  std::unique_ptr<runtime::TransferRoute> route = transfers->RouteFor(1);
  // Ragged sizes: below a chunk, several bulk chunks plus a remainder, pageable (staged) and not.
  const std::vector<size_t> sizes = {100, 3 * kMiB + 4097, 700 * kKiB + 1};
  std::vector<std::vector<std::byte>> host, device;
  std::vector<runtime::HostDeviceCopy> up, down;
  uint64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    host.push_back(RandomBytes(sizes[i], i));
    device.emplace_back(sizes[i], std::byte{0});
    up.push_back({host[i].data(), device[i].data(), sizes[i], /*host_pageable=*/i % 2 == 1});
    total += sizes[i];
  }
  ASSERT_TRUE(route->Copy(Direction::kHostToDevice, up).ok());
  for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(device[i], host[i]) << "span " << i;

  std::vector<std::vector<std::byte>> back;
  for (size_t i = 0; i < sizes.size(); ++i) {
    back.emplace_back(sizes[i], std::byte{0xee});
    down.push_back({device[i].data(), back[i].data(), sizes[i], /*host_pageable=*/i % 2 == 0});
  }
  ASSERT_TRUE(route->Copy(Direction::kDeviceToHost, down).ok());
  for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(back[i], host[i]) << "span " << i;

  for (const Direction direction : {Direction::kHostToDevice, Direction::kDeviceToHost}) {
    const auto stats = transfers->Metrics(direction);
    const pcie::TenantTransferStats* mine = StatsOf(stats, 1);
    const pcie::TenantTransferStats* other = StatsOf(stats, 2);
    ASSERT_NE(mine, nullptr);
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(mine->bytes, total) << pcie::DirectionName(direction);
    EXPECT_EQ(mine->transfers_completed, sizes.size());
    EXPECT_GT(mine->chunks, sizes.size()) << "the large spans left in several chunks";
    EXPECT_EQ(other->bytes, 0u);
  }
}

TEST(PcieTransferRouteTest, NothingToCopyIsOk) {
  std::unique_ptr<DeviceTransfers> transfers = MakeTransfers();
  EXPECT_TRUE(transfers->RouteFor(1)->Copy(Direction::kHostToDevice, {}).ok());
}

TEST(PcieTransferRouteTest, UnknownTenantAndBadSpansFailClearly) {
  std::unique_ptr<DeviceTransfers> transfers = MakeTransfers();
  std::vector<std::byte> src(64), dst(64);
  const runtime::HostDeviceCopy copy{src.data(), dst.data(), src.size()};
  const Status unknown = transfers->RouteFor(99)->Copy(Direction::kHostToDevice, {&copy, 1});
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.message().find("99"), std::string::npos) << unknown.ToString();

  const runtime::HostDeviceCopy null_source{nullptr, dst.data(), 64};
  const Status null = transfers->RouteFor(1)->Copy(Direction::kHostToDevice, {&null_source, 1});
  EXPECT_EQ(null.code(), ErrorCode::kInvalidArgument) << null.ToString();
}

TEST(PcieTransferRouteTest, RoutesOfSeveralTenantsOnSeveralThreadsKeepEveryByte) {
  std::unique_ptr<DeviceTransfers> transfers = MakeTransfers();
  constexpr int kThreads = 4;
  constexpr int kCopiesPerThread = 12;
  std::vector<int> mismatches(kThreads, 0), failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<runtime::TransferRoute> route = transfers->RouteFor(1 + t % 2);
      std::mt19937_64 random(100 + t);
      for (int i = 0; i < kCopiesPerThread; ++i) {
        const size_t bytes = 1 + random() % (2 * kMiB);
        const std::vector<std::byte> host = RandomBytes(bytes, random());
        std::vector<std::byte> device(bytes, std::byte{0}), back(bytes, std::byte{0});
        const bool pageable = random() % 2 == 0;
        const runtime::HostDeviceCopy up{host.data(), device.data(), bytes, pageable};
        const runtime::HostDeviceCopy down{device.data(), back.data(), bytes, !pageable};
        if (!route->Copy(Direction::kHostToDevice, {&up, 1}).ok()) ++failures[t];
        if (!route->Copy(Direction::kDeviceToHost, {&down, 1}).ok()) ++failures[t];
        if (back != host) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  }
  const auto stats = transfers->Metrics(Direction::kHostToDevice);
  EXPECT_EQ(StatsOf(stats, 1)->transfers_completed + StatsOf(stats, 2)->transfers_completed,
            static_cast<uint64_t>(kThreads * kCopiesPerThread));
}

}  // namespace
}  // namespace missile::server
