#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "pcie/modelled_copy_engine.h"
#include "pcie/transfer_scheduler.h"
#include "pcie/virtual_clock.h"
#include "pcie_test_support.h"

namespace missile::pcie {
namespace {

using testing::ModelledLink;
using testing::ReservedAddressSpace;

// A modelled engine that records what it is asked to copy, counts staged copies in flight, and can fail the
// n-th copy the way a CUDA copy fails.
class InterceptingEngine final : public CopyEngine, private CopyListener {
 public:
  explicit InterceptingEngine(VirtualClock& clock) : inner_(clock, CopyEngineModel::H200HostToDevice()) {}

  void Issue(ChunkCopy& copy, CopyListener& listener) override {
    issued.push_back(copy);
    listeners_[&copy] = &listener;
    if (copy.staging != nullptr) max_staged_in_flight = std::max(max_staged_in_flight, ++staged_in_flight_);
    inner_.Issue(copy, *this);
  }

  std::vector<ChunkCopy> issued;  // what each copy looked like when issued
  int max_staged_in_flight = 0;
  std::optional<size_t> fail_copy;  // this copy (in issue order) reports an error

 private:
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    CopyListener* listener = listeners_.at(&copy);
    listeners_.erase(&copy);
    if (copy.staging != nullptr) --staged_in_flight_;
    if (fail_copy == completed_++) status = Error(ErrorCode::kInternal, "injected copy failure");
    listener->OnChunkCopied(copy, status);
  }

  ModelledCopyEngine inner_;
  std::map<ChunkCopy*, CopyListener*> listeners_;
  int staged_in_flight_ = 0;
  size_t completed_ = 0;
};

// A scheduler over the intercepting engine; transfers point into reserved, untouched address space.
class InterceptedLink {
 public:
  explicit InterceptedLink(const TransferConfig& config, HostAllocator* staging = nullptr)
      : engine(clock), memory(kGiB) {
    Result<std::unique_ptr<TransferScheduler>> created =
        TransferScheduler::Create(config, Direction::kDeviceToHost, engine, clock, staging);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    scheduler = std::move(created).value();
  }
  ~InterceptedLink() { clock.RunUntilIdle(); }

  // Submits and records the outcome under `name`.
  void Submit(TenantId tenant, uint64_t offset, uint64_t bytes, bool pageable = false) {
    const std::byte* src = memory.data() + offset;
    std::byte* dst = memory.data() + kGiB / 2 + offset;
    const size_t index = outcomes.size();
    outcomes.emplace_back(std::nullopt);
    const Result<TransferId> id =
        scheduler->Submit({tenant, src, dst, bytes, pageable},
                          [this, index](const Status& status) { outcomes[index] = status; });
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }

  VirtualClock clock;
  InterceptingEngine engine;
  ReservedAddressSpace memory;
  std::vector<std::optional<Status>> outcomes;  // per Submit call, once finished
  std::unique_ptr<TransferScheduler> scheduler;
};

TenantParams Nice0() {
  return {};
}

TEST(PcieTransferSchedulerTest, RejectsInvalidRequestsWithClearErrors) {
  ModelledLink link;
  link.AddTenant(1, Nice0());
  TransferScheduler& scheduler = link.scheduler();
  std::vector<std::byte> buffer(16);

  const Result<TransferId> unknown = scheduler.Submit({7, buffer.data(), buffer.data(), 16});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("unknown tenant 7"), std::string::npos)
      << unknown.status().message();

  const Result<TransferId> no_source = scheduler.Submit({1, nullptr, buffer.data(), 16});
  EXPECT_EQ(no_source.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(no_source.status().message().find("null source"), std::string::npos)
      << no_source.status().message();
  const Result<TransferId> no_destination = scheduler.Submit({1, buffer.data(), nullptr, 16});
  EXPECT_EQ(no_destination.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(no_destination.status().message().find("null destination"), std::string::npos);

  const Result<TransferId> pageable = scheduler.Submit({1, buffer.data(), buffer.data(), 16, true});
  EXPECT_EQ(pageable.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(pageable.status().message().find("staging"), std::string::npos) << pageable.status().message();

  EXPECT_EQ(scheduler.AddTenant(1, Nice0()).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler.AddTenant(2, {0, false}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler.RemoveTenant(9).code(), ErrorCode::kNotFound);
  EXPECT_EQ(link.engine().copies(), 0u) << "nothing was issued for rejected requests";

  TransferConfig bad;
  bad.in_flight_chunks = 0;
  VirtualClock clock;
  ModelledCopyEngine engine(clock, CopyEngineModel::H200HostToDevice());
  EXPECT_EQ(TransferScheduler::Create(bad, Direction::kHostToDevice, engine, clock).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(PcieTransferSchedulerTest, EmptyTransfersCompleteAtOnce) {
  ModelledLink link;
  link.AddTenant(1, Nice0());
  bool done = false;
  const Result<TransferId> id = link.scheduler().Submit({1, nullptr, nullptr, 0}, [&](const Status& status) {
    EXPECT_TRUE(status.ok());
    done = true;
  });
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(done) << "no copy to wait for: the callback ran inside Submit";
  EXPECT_EQ(link.engine().copies(), 0u);
  const TenantTransferStats stats = link.StatsOf(1);
  EXPECT_EQ(stats.transfers_completed, 1u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_EQ(stats.queue_wait.count, 0u);
  EXPECT_EQ(stats.latency.count, 1u);
}

TEST(PcieTransferSchedulerTest, ChunksCoverTransfersThatAreNotChunkMultiples) {
  TransferConfig config;
  config.chunk_bytes = config.bulk_chunk_bytes = kMiB;
  InterceptedLink link(config);
  ASSERT_TRUE(link.scheduler->AddTenant(1, Nice0()).ok());
  const uint64_t bytes = 3 * kMiB + kMiB / 2 + 1;
  link.Submit(1, 4096, bytes);
  link.clock.RunUntilIdle();
  ASSERT_TRUE(link.outcomes[0].has_value());
  EXPECT_TRUE(link.outcomes[0]->ok());

  const std::vector<uint64_t> expected_sizes = {kMiB, kMiB, kMiB, kMiB / 2 + 1};
  ASSERT_EQ(link.engine.issued.size(), expected_sizes.size());
  uint64_t offset = 0;
  for (size_t i = 0; i < expected_sizes.size(); ++i) {
    const ChunkCopy& copy = link.engine.issued[i];
    EXPECT_EQ(copy.src, link.memory.data() + 4096 + offset) << "chunk " << i;
    EXPECT_EQ(copy.dst, link.memory.data() + kGiB / 2 + 4096 + offset) << "chunk " << i;
    EXPECT_EQ(copy.bytes, expected_sizes[i]);
    EXPECT_EQ(copy.direction, Direction::kDeviceToHost);
    EXPECT_EQ(copy.staging, nullptr);
    offset += copy.bytes;
  }
  EXPECT_EQ(offset, bytes);
}

TEST(PcieTransferSchedulerTest, ChunkErrorFailsOnlyItsTransfer) {
  TransferConfig config;
  config.chunk_bytes = config.bulk_chunk_bytes = kMiB;
  InterceptedLink link(config);
  link.engine.fail_copy = 1;  // the second chunk of the first transfer
  ASSERT_TRUE(link.scheduler->AddTenant(1, Nice0()).ok());
  ASSERT_TRUE(link.scheduler->AddTenant(2, Nice0()).ok());
  link.Submit(1, 0, 3 * kMiB);
  link.Submit(2, 8 * kMiB, 2 * kMiB);
  link.clock.RunUntilIdle();

  ASSERT_TRUE(link.outcomes[0].has_value());
  const Status& failed = *link.outcomes[0];
  EXPECT_EQ(failed.code(), ErrorCode::kInternal);
  EXPECT_NE(failed.message().find("injected copy failure"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("tenant 1"), std::string::npos) << failed.message();
  ASSERT_TRUE(link.outcomes[1].has_value());
  EXPECT_TRUE(link.outcomes[1]->ok());

  for (const TenantTransferStats& stats : link.scheduler->Metrics()) {
    if (stats.tenant == 1) {
      EXPECT_EQ(stats.transfers_failed, 1u);
      EXPECT_EQ(stats.bytes, 2 * kMiB) << "the failed chunk's bytes did not arrive";
    } else {
      EXPECT_EQ(stats.transfers_completed, 1u);
      EXPECT_EQ(stats.bytes, 2 * kMiB);
    }
  }
}

TEST(PcieTransferSchedulerTest, StagedChunksWaitForAFreeBuffer) {
  TransferConfig config;
  config.chunk_bytes = config.bulk_chunk_bytes = kMiB;
  config.in_flight_chunks = 4;
  config.staging_buffers = 1;
  AlignedHostAllocator allocator;
  InterceptedLink link(config, &allocator);
  ASSERT_TRUE(link.scheduler->AddTenant(1, Nice0()).ok());
  ASSERT_TRUE(link.scheduler->AddTenant(2, Nice0()).ok());
  link.Submit(1, 0, 5 * kMiB, /*pageable=*/true);
  link.Submit(2, 16 * kMiB, 5 * kMiB, /*pageable=*/false);
  link.clock.RunUntilIdle();
  ASSERT_TRUE(link.outcomes[0].has_value() && link.outcomes[1].has_value());
  EXPECT_TRUE(link.outcomes[0]->ok());
  EXPECT_TRUE(link.outcomes[1]->ok());
  EXPECT_EQ(link.engine.max_staged_in_flight, 1) << "one staging buffer: one staged chunk at a time";
  int staged = 0;
  for (const ChunkCopy& copy : link.engine.issued) {
    const bool pageable_tenant = copy.src < link.memory.data() + 16 * kMiB;
    EXPECT_EQ(copy.staging != nullptr, pageable_tenant);
    staged += copy.staging != nullptr;
  }
  EXPECT_EQ(staged, 5);
}

TEST(PcieTransferSchedulerTest, MetricsOfALoneTransfer) {
  ModelledLink link;
  link.AddTenant(3, Nice0());
  const testing::ModelledTransfer& transfer = link.SubmitAt(std::chrono::microseconds(10), 3, 24 * kMiB);
  link.clock().RunUntilIdle();
  const CopyEngineModel model = CopyEngineModel::H200HostToDevice();
  EXPECT_EQ(transfer.latency(), 3 * model.Occupancy(8 * kMiB)) << "three bulk chunks back to back";
  const TenantTransferStats stats = link.StatsOf(3);
  EXPECT_EQ(stats.bytes, 24 * kMiB);
  EXPECT_EQ(stats.chunks, 3u);
  EXPECT_EQ(stats.transfers_completed, 1u);
  EXPECT_EQ(stats.queue_wait.max, Nanos(0));
  EXPECT_EQ(stats.latency.max, transfer.latency());
  EXPECT_EQ(stats.active_time, transfer.latency());
  EXPECT_NEAR(stats.achieved_bytes_per_second, 24.0 * kMiB / (transfer.latency().count() * 1e-9), 1.0);
}

TEST(PcieTransferSchedulerTest, RemoveTenantOnlyWhenIdle) {
  ModelledLink link;
  link.AddTenant(1, Nice0());
  link.SubmitAt(Nanos(0), 1, kMiB);
  link.clock().RunUntil(Nanos(0));
  EXPECT_EQ(link.scheduler().RemoveTenant(1).code(), ErrorCode::kFailedPrecondition);
  link.clock().RunUntilIdle();
  EXPECT_TRUE(link.scheduler().RemoveTenant(1).ok());
  EXPECT_TRUE(link.scheduler().Metrics().empty());
  std::byte byte{};
  EXPECT_EQ(link.scheduler().Submit({1, &byte, &byte, 1}).status().code(), ErrorCode::kNotFound);
}

// Holds issued copies until the test completes them, from any thread.
class ManualEngine final : public CopyEngine {
 public:
  void Issue(ChunkCopy& copy, CopyListener& listener) override {
    std::lock_guard lock(mutex_);
    pending_.push_back({&copy, &listener});
  }
  // Completes everything issued so far; returns how many.
  size_t CompleteAll() {
    std::vector<std::pair<ChunkCopy*, CopyListener*>> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(pending_);
    }
    for (auto [copy, listener] : batch) listener->OnChunkCopied(*copy, Status::Ok());
    return batch.size();
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<ChunkCopy*, CopyListener*>> pending_;
};

TEST(PcieTransferSchedulerTest, DestructionFinishesIssuedChunksAndFailsQueuedTransfers) {
  TransferConfig config;
  config.chunk_bytes = config.bulk_chunk_bytes = kMiB;
  ManualEngine engine;
  SteadyClock clock;
  Result<std::unique_ptr<TransferScheduler>> created =
      TransferScheduler::Create(config, Direction::kHostToDevice, engine, clock);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<TransferScheduler> scheduler = std::move(created).value();
  ASSERT_TRUE(scheduler->AddTenant(1, Nice0()).ok());
  ReservedAddressSpace memory(kGiB);
  constexpr int kTransfers = 6;
  std::atomic<int> succeeded = 0, unavailable = 0;
  for (int i = 0; i < kTransfers; ++i) {
    ASSERT_TRUE(scheduler
                    ->Submit({1, memory.data(), memory.data(), 2 * kMiB},
                             [&](const Status& status) {
                               if (status.ok()) ++succeeded;
                               if (status.code() == ErrorCode::kUnavailable) ++unavailable;
                             })
                    .ok());
  }
  EXPECT_EQ(engine.CompleteAll(), 2u) << "the in-flight bound: two chunks";
  std::atomic<bool> destroyed = false;
  std::thread destroyer([&] {
    scheduler.reset();
    destroyed = true;
  });
  // The destructor waits for the chunks it issued; keep completing until it returns.
  while (!destroyed) {
    engine.CompleteAll();
    std::this_thread::yield();
  }
  destroyer.join();
  EXPECT_GE(succeeded, 1);
  EXPECT_EQ(succeeded + unavailable, kTransfers) << "every callback ran exactly once";
  EXPECT_EQ(engine.CompleteAll(), 0u) << "nothing left issued";
}

}  // namespace
}  // namespace missile::pcie
