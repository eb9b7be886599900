// The CUDA copy engine on a real GPU: copies complete in issue order with their bytes intact, a listener can
// issue from its callback, failures arrive as statuses, shutdown drains, and the transfer scheduler over two
// such engines (host-to-device, then device-to-host from the first one's callbacks) brings every byte of
// several tenants' interleaved transfers back intact, from pinned and pageable memory. Skipped where there is
// no GPU (CI, the CPU machines); compiled wherever nvcc is.
#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <latch>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "device/cuda/device_memory.h"
#include "gpu_test_support.h"
#include "pcie/cuda/cuda_copy_engine.h"
#include "pcie/cuda/pinned_host_allocator.h"
#include "pcie/transfer_scheduler.h"

namespace missile::pcie {
namespace {

using device::cuda::DeviceBuffer;
using device::cuda::PinnedBuffer;

constexpr auto kTimeout = std::chrono::seconds(60);

class PcieCudaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string no_gpu = missile::testing::NoGpuReason();
    if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, CUDA copy engine test skipped: " << no_gpu;
  }
};

template <typename T>
T Unwrap(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) std::abort();  // the test cannot go on without it
  return std::move(result).value();
}

void FillRandom(std::byte* data, size_t bytes, std::mt19937_64& random) {
  for (size_t at = 0; at < bytes; at += 8) {
    const uint64_t word = random();
    std::memcpy(data + at, &word, std::min<size_t>(8, bytes - at));
  }
}

// Records every report: order, status, thread; wakes the test when the expected number has arrived.
class RecordingListener : public CopyListener {
 public:
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    std::lock_guard lock(mutex_);
    order.push_back(&copy);
    statuses.push_back(std::move(status));
    threads.push_back(std::this_thread::get_id());
    arrived_.notify_all();
  }
  bool WaitFor(size_t reports) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, kTimeout, [&] { return order.size() >= reports; });
  }

  std::vector<ChunkCopy*> order;
  std::vector<Status> statuses;
  std::vector<std::thread::id> threads;

 protected:
  std::mutex mutex_;
  std::condition_variable arrived_;
};

TEST(PcieCudaEngineOptionsTest, RefusesAnEmptyEventPool) {
  const auto created = CudaCopyEngine::Create(Direction::kHostToDevice, {.max_in_flight = 0});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(PcieCudaEngineTest, CopiesCompleteInIssueOrderWithTheirBytes) {
  constexpr int kChunks = 64;
  constexpr size_t kChunk = 128 * kKiB;
  constexpr size_t kBytes = kChunks * kChunk;
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kBytes));
  PinnedBuffer result = Unwrap(PinnedBuffer::Allocate(kBytes));
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(kBytes));
  std::mt19937_64 random(1);
  FillRandom(source.bytes(), kBytes, random);
  std::memset(result.data(), 0x5a, kBytes);

  // A pool of 4 events for 64 copies: the submit thread must wait for events to come back, Issue must not.
  // With direct issue the first copy starts on this thread and the rest queue behind it.
  for (const auto& [wait, direct] : {std::pair{CopyWait::kSpin, true}, std::pair{CopyWait::kBlock, true},
                                     std::pair{CopyWait::kSpin, false}, std::pair{CopyWait::kBlock, false}}) {
    SCOPED_TRACE(fmt::format("{}, direct issue {}", wait == CopyWait::kSpin ? "spin" : "block", direct));
    std::vector<ChunkCopy> to_device(kChunks), to_host(kChunks);
    RecordingListener uploaded, downloaded;
    {
      const CudaCopyEngineOptions options{.max_in_flight = 4, .wait = wait, .direct_issue = direct};
      auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice, options));
      auto down = Unwrap(CudaCopyEngine::Create(Direction::kDeviceToHost, options));
      for (int i = 0; i < kChunks; ++i) {
        to_device[i] = {source.bytes() + i * kChunk, device.bytes() + i * kChunk, kChunk,
                        Direction::kHostToDevice};
        up->Issue(to_device[i], uploaded);
      }
      ASSERT_TRUE(uploaded.WaitFor(kChunks));
      for (int i = 0; i < kChunks; ++i) {
        to_host[i] = {device.bytes() + i * kChunk, result.bytes() + i * kChunk, kChunk,
                      Direction::kDeviceToHost};
        down->Issue(to_host[i], downloaded);
      }
      ASSERT_TRUE(downloaded.WaitFor(kChunks));
    }
    for (int i = 0; i < kChunks; ++i) {
      EXPECT_EQ(uploaded.order[i], &to_device[i]) << "report " << i << " out of issue order";
      EXPECT_EQ(downloaded.order[i], &to_host[i]) << "report " << i << " out of issue order";
      EXPECT_TRUE(uploaded.statuses[i].ok()) << uploaded.statuses[i].ToString();
      EXPECT_TRUE(downloaded.statuses[i].ok()) << downloaded.statuses[i].ToString();
      EXPECT_NE(uploaded.threads[i], std::this_thread::get_id()) << "reported from inside Issue";
    }
    EXPECT_EQ(std::memcmp(result.data(), source.data(), kBytes), 0);
    std::memset(result.data(), 0x5a, kBytes);
    ASSERT_EQ(cudaMemset(device.data(), 0xa5, kBytes), cudaSuccess);
  }
}

TEST_F(PcieCudaEngineTest, ConcurrentIssuersEachSeeTheirOwnOrderAndBytes) {
  // Four threads issue at once, so that direct issues and queued ones interleave: every copy is reported
  // once, each thread's in its issue order, and every byte lands.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  constexpr size_t kChunk = 16 * kKiB;
  constexpr size_t kBytes = kThreads * kPerThread * kChunk;
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kBytes));
  PinnedBuffer result = Unwrap(PinnedBuffer::Allocate(kBytes));
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(kBytes));
  std::mt19937_64 random(3);
  FillRandom(source.bytes(), kBytes, random);
  std::memset(result.data(), 0x5a, kBytes);
  for (const auto idle_spin : {std::chrono::microseconds(0), std::chrono::microseconds(2000)}) {
    SCOPED_TRACE(fmt::format("idle spin {} us", idle_spin.count()));
    std::vector<ChunkCopy> to_device(kThreads * kPerThread), to_host(kThreads * kPerThread);
    RecordingListener uploaded, downloaded;
    {
      auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice, {.idle_spin = idle_spin}));
      auto down = Unwrap(CudaCopyEngine::Create(Direction::kDeviceToHost, {.idle_spin = idle_spin}));
      const auto issue_all = [&](CudaCopyEngine& engine, std::vector<ChunkCopy>& copies, bool to_gpu,
                                 RecordingListener& listener) {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
          threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
              const size_t index = static_cast<size_t>(t * kPerThread + i);
              const size_t at = index * kChunk;
              copies[index] =
                  to_gpu
                      ? ChunkCopy{source.bytes() + at, device.bytes() + at, kChunk, Direction::kHostToDevice}
                      : ChunkCopy{device.bytes() + at, result.bytes() + at, kChunk, Direction::kDeviceToHost};
              engine.Issue(copies[index], listener);
            }
          });
        }
        for (std::thread& thread : threads) thread.join();
      };
      issue_all(*up, to_device, true, uploaded);
      ASSERT_TRUE(uploaded.WaitFor(to_device.size()));
      issue_all(*down, to_host, false, downloaded);
      ASSERT_TRUE(downloaded.WaitFor(to_host.size()));
    }
    for (const auto* reports : {&uploaded, &downloaded}) {
      ASSERT_EQ(reports->order.size(), static_cast<size_t>(kThreads * kPerThread));
      const ChunkCopy* base = reports == &uploaded ? to_device.data() : to_host.data();
      std::vector<int> next(kThreads, 0);
      for (size_t r = 0; r < reports->order.size(); ++r) {
        EXPECT_TRUE(reports->statuses[r].ok()) << reports->statuses[r].ToString();
        const int index = static_cast<int>(reports->order[r] - base);
        const int thread = index / kPerThread;
        EXPECT_EQ(index % kPerThread, next[thread]++) << "thread " << thread << " reported out of order";
      }
    }
    EXPECT_EQ(std::memcmp(result.data(), source.data(), kBytes), 0);
    std::memset(result.data(), 0x5a, kBytes);
  }
}

// Issues the next chunk from inside each callback, as the transfer scheduler does.
class ChainingListener final : public RecordingListener {
 public:
  ChainingListener(CopyEngine& engine, std::vector<ChunkCopy>& chunks) : engine_(engine), chunks_(chunks) {}
  void Start() { engine_.Issue(chunks_[0], *this); }
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    const size_t next = static_cast<size_t>(&copy - chunks_.data()) + 1;
    if (next < chunks_.size()) engine_.Issue(chunks_[next], *this);
    RecordingListener::OnChunkCopied(copy, std::move(status));
  }

 private:
  CopyEngine& engine_;
  std::vector<ChunkCopy>& chunks_;
};

TEST_F(PcieCudaEngineTest, ListenerCanIssueFromItsCallback) {
  constexpr int kChunks = 256;
  constexpr size_t kChunk = 64 * kKiB;
  constexpr size_t kBytes = kChunks * kChunk;
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kBytes));
  PinnedBuffer result = Unwrap(PinnedBuffer::Allocate(kBytes));
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(kBytes));
  std::mt19937_64 random(2);
  FillRandom(source.bytes(), kBytes, random);
  std::memset(result.data(), 0x5a, kBytes);

  auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice));
  auto down = Unwrap(CudaCopyEngine::Create(Direction::kDeviceToHost, {.wait = CopyWait::kBlock}));
  std::vector<ChunkCopy> to_device(kChunks), to_host(kChunks);
  for (int i = 0; i < kChunks; ++i) {
    to_device[i] = {source.bytes() + i * kChunk, device.bytes() + i * kChunk, kChunk,
                    Direction::kHostToDevice};
    to_host[i] = {device.bytes() + i * kChunk, result.bytes() + i * kChunk, kChunk, Direction::kDeviceToHost};
  }
  ChainingListener uploaded(*up, to_device), downloaded(*down, to_host);
  uploaded.Start();
  ASSERT_TRUE(uploaded.WaitFor(kChunks));
  downloaded.Start();
  ASSERT_TRUE(downloaded.WaitFor(kChunks));
  for (int i = 0; i < kChunks; ++i) {
    ASSERT_TRUE(uploaded.statuses[i].ok()) << uploaded.statuses[i].ToString();
    ASSERT_TRUE(downloaded.statuses[i].ok()) << downloaded.statuses[i].ToString();
  }
  EXPECT_EQ(std::memcmp(result.data(), source.data(), kBytes), 0);
}

TEST_F(PcieCudaEngineTest, FailuresArriveAsStatusesInIssueOrder) {
  constexpr size_t kBytes = 1 * kMiB;
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kBytes));
  PinnedBuffer result = Unwrap(PinnedBuffer::Allocate(kBytes));
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(2 * kBytes));
  std::mt19937_64 random(3);
  FillRandom(source.bytes(), kBytes, random);

  RecordingListener listener;
  auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice));
  ChunkCopy good{source.bytes(), device.bytes(), kBytes, Direction::kHostToDevice};
  // CUDA refuses a null destination when the copy is issued (cudaErrorInvalidValue): nothing reaches the GPU.
  ChunkCopy null_destination{source.bytes(), nullptr, kBytes, Direction::kHostToDevice};
  ChunkCopy wrong_direction{device.bytes(), result.bytes(), kBytes, Direction::kDeviceToHost};
  ChunkCopy good_after{source.bytes(), device.bytes() + kBytes, kBytes, Direction::kHostToDevice};
  for (ChunkCopy* copy : {&good, &null_destination, &wrong_direction, &good_after})
    up->Issue(*copy, listener);
  ASSERT_TRUE(listener.WaitFor(4));

  ASSERT_EQ(listener.order,
            (std::vector<ChunkCopy*>{&good, &null_destination, &wrong_direction, &good_after}));
  EXPECT_TRUE(listener.statuses[0].ok()) << listener.statuses[0].ToString();
  EXPECT_FALSE(listener.statuses[1].ok());
  EXPECT_NE(listener.statuses[1].message().find("cudaMemcpyAsync"), std::string::npos)
      << listener.statuses[1].ToString();
  EXPECT_EQ(listener.statuses[2].code(), ErrorCode::kInvalidArgument) << listener.statuses[2].ToString();
  EXPECT_TRUE(listener.statuses[3].ok())
      << "the engine goes on after a failed copy: " << listener.statuses[3].ToString();
  // Both good copies landed.
  for (size_t offset : {size_t{0}, kBytes}) {
    ASSERT_EQ(cudaMemcpy(result.data(), device.bytes() + offset, kBytes, cudaMemcpyDeviceToHost),
              cudaSuccess);
    EXPECT_EQ(std::memcmp(result.data(), source.data(), kBytes), 0) << "at device offset " << offset;
  }
}

TEST_F(PcieCudaEngineTest, DirectIssueLeavesTheCallersCudaStateAlone) {
  // Into an idle engine the copy is started on this thread: its failure must reach the listener only, not
  // this thread's last-error state (which the caller's next kernel launch check would report as its own).
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kKiB));
  int device_before = -1;
  ASSERT_EQ(cudaGetDevice(&device_before), cudaSuccess);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  RecordingListener listener;
  auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice));
  ChunkCopy null_destination{source.bytes(), nullptr, kKiB, Direction::kHostToDevice};
  up->Issue(null_destination, listener);
  ASSERT_TRUE(listener.WaitFor(1));
  EXPECT_FALSE(listener.statuses[0].ok());
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the failed copy left an error on the issuing thread";
  int device_after = -1;
  ASSERT_EQ(cudaGetDevice(&device_after), cudaSuccess);
  EXPECT_EQ(device_after, device_before);
}

// Holds its first callback until the engine's destruction has begun, then issues one more copy.
class LateIssuingListener final : public RecordingListener {
 public:
  LateIssuingListener(CopyEngine& engine, ChunkCopy& late) : engine_(engine), late_(late) {}
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    if (&copy != &late_ && !issued_late_) {
      issued_late_ = true;
      destruction_started.wait();
      // The destructor sets its flag before anything else; this leaves it far more time than it needs.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      engine_.Issue(late_, *this);
    }
    RecordingListener::OnChunkCopied(copy, std::move(status));
  }

  std::latch destruction_started{1};

 private:
  CopyEngine& engine_;
  ChunkCopy& late_;
  bool issued_late_ = false;
};

TEST_F(PcieCudaEngineTest, DestructionCompletesIssuedCopiesAndFailsLaterOnes) {
  constexpr int kChunks = 32;
  constexpr size_t kChunk = 1 * kMiB;
  constexpr size_t kBytes = kChunks * kChunk;
  PinnedBuffer source = Unwrap(PinnedBuffer::Allocate(kBytes));
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(kBytes + kChunk));
  PinnedBuffer result = Unwrap(PinnedBuffer::Allocate(kBytes));
  std::mt19937_64 random(4);
  FillRandom(source.bytes(), kBytes, random);

  auto up = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice));
  std::vector<ChunkCopy> chunks(kChunks);
  ChunkCopy late{source.bytes(), device.bytes() + kBytes, kChunk, Direction::kHostToDevice};
  LateIssuingListener listener(*up, late);
  for (int i = 0; i < kChunks; ++i) {
    chunks[i] = {source.bytes() + i * kChunk, device.bytes() + i * kChunk, kChunk, Direction::kHostToDevice};
    up->Issue(chunks[i], listener);
  }
  std::thread destroyer([&] {
    listener.destruction_started.count_down();
    up.reset();  // returns once every copy has been reported
  });
  destroyer.join();

  ASSERT_EQ(listener.order.size(), kChunks + 1u);
  for (int i = 0; i < kChunks; ++i) {
    EXPECT_EQ(listener.order[i], &chunks[i]);
    EXPECT_TRUE(listener.statuses[i].ok()) << listener.statuses[i].ToString();
  }
  EXPECT_EQ(listener.order.back(), &late);
  EXPECT_EQ(listener.statuses.back().code(), ErrorCode::kUnavailable) << listener.statuses.back().ToString();
  ASSERT_EQ(cudaMemcpy(result.data(), device.data(), kBytes, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(std::memcmp(result.data(), source.data(), kBytes), 0);
}

// FNV-1a over 8-byte words (the ragged tail zero-padded), with the length mixed in.
uint64_t Checksum(const std::byte* data, size_t bytes) {
  uint64_t hash = 1469598103934665603ull ^ bytes;
  for (size_t at = 0; at < bytes; at += 8) {
    uint64_t word = 0;
    std::memcpy(&word, data + at, std::min<size_t>(8, bytes - at));
    hash = (hash ^ word) * 1099511628211ull;
  }
  return hash;
}

// One transfer's buffers: host source, its region of device memory, host result. Pinned transfers point
// into shared pinned arenas; pageable ones own vectors.
struct RoundTrip {
  TenantId tenant = 0;
  bool pageable = false;
  uint64_t bytes = 0;
  std::byte* source = nullptr;
  std::byte* device = nullptr;
  std::byte* result = nullptr;
  std::vector<std::byte> pageable_source, pageable_result;
  uint64_t checksum = 0;
  std::atomic<int> callbacks = 0;
};

class PcieCudaSchedulerTest : public PcieCudaEngineTest, public ::testing::WithParamInterface<CopyWait> {};

TEST_P(PcieCudaSchedulerTest, InterleavedTenantsRoundTripIntact) {
  constexpr int kThreads = 4;
  constexpr int kTransfers = 160;
  constexpr uint64_t kMaxTransfer = 768 * kKiB;
  constexpr uint64_t kAlign = 256;
  // Small chunks and two staging buffers, so that tenants interleave within transfers and staging runs out.
  TransferConfig config;
  config.chunk_bytes = 64 * kKiB;
  config.bulk_chunk_bytes = 256 * kKiB;
  config.in_flight_chunks = 3;
  config.max_in_flight_copies = 8;
  config.staging_buffers = 2;

  std::mt19937_64 random(42);
  std::vector<std::unique_ptr<RoundTrip>> trips;
  uint64_t arena = 0;
  for (int i = 0; i < kTransfers; ++i) {
    auto trip = std::make_unique<RoundTrip>();
    trip->tenant = static_cast<TenantId>(random() % 4);
    trip->pageable = random() % 2 == 0;
    const uint64_t kind = random() % 10;
    trip->bytes = kind == 0 ? 0 : kind == 1 ? 1 + random() % 100 : random() % kMaxTransfer;
    arena += (trip->bytes + kAlign - 1) / kAlign * kAlign;
    trips.push_back(std::move(trip));
  }
  DeviceBuffer device = Unwrap(DeviceBuffer::Allocate(arena + kAlign));
  PinnedBuffer pinned_sources = Unwrap(PinnedBuffer::Allocate(arena + kAlign));
  PinnedBuffer pinned_results = Unwrap(PinnedBuffer::Allocate(arena + kAlign));
  // Stale bytes everywhere, so that a chunk that never moved cannot pass for one that did.
  ASSERT_EQ(cudaMemset(device.data(), 0xa5, device.size()), cudaSuccess);
  std::memset(pinned_results.data(), 0x5a, pinned_results.size());
  uint64_t offset = 0;
  for (auto& trip : trips) {
    trip->device = device.bytes() + offset;
    if (trip->pageable) {
      trip->pageable_source.resize(trip->bytes);
      trip->pageable_result.assign(trip->bytes, std::byte{0x5a});
      trip->source = trip->pageable_source.data();
      trip->result = trip->pageable_result.data();
    } else {
      trip->source = pinned_sources.bytes() + offset;
      trip->result = pinned_results.bytes() + offset;
    }
    FillRandom(trip->source, trip->bytes, random);
    trip->checksum = Checksum(trip->source, trip->bytes);
    offset += (trip->bytes + kAlign - 1) / kAlign * kAlign;
  }

  SteadyClock clock;
  PinnedHostAllocator staging;
  const CudaCopyEngineOptions engine_options{.wait = GetParam()};
  // Engines first: each scheduler must go (draining its chunks) before the engine under it.
  auto up_engine = Unwrap(CudaCopyEngine::Create(Direction::kHostToDevice, engine_options));
  auto down_engine = Unwrap(CudaCopyEngine::Create(Direction::kDeviceToHost, engine_options));
  auto up = Unwrap(TransferScheduler::Create(config, Direction::kHostToDevice, *up_engine, clock, &staging));
  auto down =
      Unwrap(TransferScheduler::Create(config, Direction::kDeviceToHost, *down_engine, clock, &staging));
  const TenantParams tenants[] = {{1024, false}, {3072, false}, {335, false}, {1024, true}};
  for (TenantId tenant = 0; tenant < 4; ++tenant) {
    ASSERT_TRUE(up->AddTenant(tenant, tenants[tenant]).ok());
    ASSERT_TRUE(down->AddTenant(tenant, tenants[tenant]).ok());
  }

  std::latch all_back(kTransfers);
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  const auto record_error = [&](const Status& status) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(status.ToString());
  };
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = t; i < kTransfers; i += kThreads) {
        RoundTrip* trip = trips[i].get();
        // Up to the GPU; the callback, on the engine's completion thread, sends the bytes back down.
        const Result<TransferId> id =
            up->Submit({trip->tenant, trip->source, trip->device, trip->bytes, trip->pageable},
                       [&, trip](const Status& status) {
                         if (!status.ok()) record_error(status);
                         const Result<TransferId> back = down->Submit(
                             {trip->tenant, trip->device, trip->result, trip->bytes, trip->pageable},
                             [&, trip](const Status& back_status) {
                               if (!back_status.ok()) record_error(back_status);
                               ++trip->callbacks;
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
    EXPECT_EQ(Checksum(trip->result, trip->bytes), trip->checksum)
        << trip->bytes << " bytes, tenant " << trip->tenant << (trip->pageable ? ", pageable" : ", pinned");
    total += trip->bytes;
  }
  for (TransferScheduler* scheduler : {up.get(), down.get()}) {
    uint64_t bytes = 0, transfers = 0;
    for (const TenantTransferStats& stats : scheduler->Metrics()) {
      bytes += stats.bytes;
      transfers += stats.transfers_completed;
      EXPECT_EQ(stats.transfers_failed, 0u);
    }
    EXPECT_EQ(bytes, total);
    EXPECT_EQ(transfers, static_cast<uint64_t>(kTransfers));
  }
}

INSTANTIATE_TEST_SUITE_P(WaitModes, PcieCudaSchedulerTest,
                         ::testing::Values(CopyWait::kSpin, CopyWait::kBlock),
                         [](const ::testing::TestParamInfo<CopyWait>& info) {
                           return std::string(info.param == CopyWait::kSpin ? "Spin" : "Block");
                         });

}  // namespace
}  // namespace missile::pcie

#endif  // MISSILE_HAVE_CUDA
