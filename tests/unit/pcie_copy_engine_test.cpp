#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "pcie/host_memcpy_engine.h"
#include "pcie/modelled_copy_engine.h"
#include "pcie/virtual_clock.h"

namespace missile::pcie {
namespace {

using std::chrono::microseconds;

TEST(PcieVirtualClockTest, RunsEventsInTimeThenSchedulingOrder) {
  VirtualClock clock;
  std::string order;
  clock.At(Nanos(30), [&] { order += 'c'; });
  clock.At(Nanos(10), [&] { order += 'a'; });
  clock.At(Nanos(30), [&] { order += 'd'; });
  clock.At(Nanos(20), [&] {
    order += 'b';
    clock.After(Nanos(5), [&] { order += 'x'; });  // at 25
    clock.At(Nanos(0), [&] { order += 'y'; });     // in the past: runs at 20, after the events due now
  });
  clock.RunUntil(Nanos(25));
  EXPECT_EQ(order, "abyx");
  EXPECT_EQ(clock.Now(), Nanos(25));
  EXPECT_EQ(clock.pending_events(), 2u);
  clock.RunUntilIdle();
  EXPECT_EQ(order, "abyxcd");
  EXPECT_EQ(clock.Now(), Nanos(30));
  clock.RunUntil(Nanos(100));
  EXPECT_EQ(clock.Now(), Nanos(100)) << "time advances to the deadline even without events";
}

// Records completion times and statuses.
class RecordingListener final : public CopyListener {
 public:
  explicit RecordingListener(const Clock& clock) : clock_(clock) {}
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    completed.push_back(&copy);
    at.push_back(clock_.Now());
    EXPECT_TRUE(status.ok());
  }
  std::vector<ChunkCopy*> completed;
  std::vector<Nanos> at;

 private:
  const Clock& clock_;
};

TEST(PcieModelledEngineTest, OccupancyIsOverheadPlusBytesOverBandwidth) {
  const CopyEngineModel model{50e9, Nanos(2000)};
  EXPECT_EQ(model.Occupancy(0), Nanos(2000));
  EXPECT_EQ(model.Occupancy(50'000), Nanos(3000));
  EXPECT_EQ(model.Occupancy(2 * kMiB), Nanos(2000 + 41943));
  // The measured H200 numbers the defaults are derived from.
  EXPECT_EQ(CopyEngineModel::H200HostToDevice().Occupancy(2 * kMiB), Nanos(3000 + 37923));
  EXPECT_DOUBLE_EQ(CopyEngineModel::H200DeviceToHost().bytes_per_second, 55.2e9);
}

TEST(PcieModelledEngineTest, ServesCopiesFirstInFirstOut) {
  VirtualClock clock;
  ModelledCopyEngine engine(clock, {1e9, Nanos(100)});  // 1 byte per ns
  RecordingListener listener(clock);
  ChunkCopy big{nullptr, nullptr, 10'000}, small{nullptr, nullptr, 10}, late{nullptr, nullptr, 500};
  engine.Issue(big, listener);
  engine.Issue(small, listener);  // behind the big one, however small
  clock.RunUntil(Nanos(50'000));
  engine.Issue(late, listener);  // the engine is idle: starts at once
  clock.RunUntilIdle();
  ASSERT_EQ(listener.completed.size(), 3u);
  EXPECT_EQ(listener.completed[0], &big);
  EXPECT_EQ(listener.completed[1], &small);
  EXPECT_EQ(listener.at[0], Nanos(10'100));
  EXPECT_EQ(listener.at[1], Nanos(10'210));
  EXPECT_EQ(listener.at[2], Nanos(50'600));
  EXPECT_EQ(engine.copies(), 3u);
  EXPECT_EQ(engine.bytes(), 10'510u);
  EXPECT_EQ(engine.busy_time(), Nanos(10'810));
}

TEST(PcieModelledEngineTest, NeverCompletesInsideIssue) {
  VirtualClock clock;
  ModelledCopyEngine engine(clock, {1e9, Nanos(0)});
  RecordingListener listener(clock);
  ChunkCopy empty{nullptr, nullptr, 0};
  engine.Issue(empty, listener);
  EXPECT_TRUE(listener.completed.empty());
  clock.RunUntilIdle();
  EXPECT_EQ(listener.completed.size(), 1u);
}

// Collects completions from the engine's thread; can issue a follow-up copy from inside the callback.
class ThreadedListener final : public CopyListener {
 public:
  void OnChunkCopied(ChunkCopy& copy, Status status) override {
    EXPECT_TRUE(status.ok());
    if (follow_up != nullptr && &copy == trigger) engine->Issue(*follow_up, *this);
    std::lock_guard lock(mutex);
    order.push_back(&copy);
    threads.push_back(std::this_thread::get_id());
    changed.notify_all();
  }
  void WaitFor(size_t count) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return order.size() >= count; });
  }

  CopyEngine* engine = nullptr;
  ChunkCopy* trigger = nullptr;  // its completion issues follow_up
  ChunkCopy* follow_up = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<ChunkCopy*> order;
  std::vector<std::thread::id> threads;
};

TEST(PcieHostMemcpyEngineTest, CopiesInOrderOnItsOwnThread) {
  std::vector<uint8_t> source(3 * kMiB), a(kMiB), b(kMiB), staged(kMiB), staging(kMiB);
  std::iota(source.begin(), source.end(), uint8_t{7});
  HostMemcpyEngine engine;
  ThreadedListener listener;
  ChunkCopy first{source.data(), a.data(), kMiB};
  ChunkCopy second{source.data() + kMiB, b.data(), kMiB};
  ChunkCopy through_staging{source.data() + 2 * kMiB, staged.data(), kMiB, Direction::kDeviceToHost,
                            reinterpret_cast<std::byte*>(staging.data())};
  listener.engine = &engine;
  // Issued from the completion callback of the last copy the test issues, so the order is fixed.
  listener.trigger = &second;
  listener.follow_up = &through_staging;
  engine.Issue(first, listener);
  engine.Issue(second, listener);
  listener.WaitFor(3);
  EXPECT_EQ(listener.order, (std::vector<ChunkCopy*>{&first, &second, &through_staging}));
  EXPECT_NE(listener.threads[0], std::this_thread::get_id());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), source.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), source.begin() + kMiB));
  EXPECT_TRUE(std::equal(staged.begin(), staged.end(), source.begin() + 2 * kMiB));
  EXPECT_TRUE(std::equal(staging.begin(), staging.end(), source.begin() + 2 * kMiB))
      << "went through staging";
}

}  // namespace
}  // namespace missile::pcie
