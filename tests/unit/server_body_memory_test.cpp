#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "server/body_buffer.h"
#include "server/body_memory.h"

namespace missile::server {
namespace {

// Stands in for cudaHostAlloc: counts what is taken and given back, and fails on request.
class CountingAllocator final : public pcie::HostAllocator {
 public:
  struct Counts {
    int allocations = 0;
    int frees = 0;
    std::set<std::byte*> live;
    bool fail = false;
  };
  explicit CountingAllocator(Counts& counts) : counts_(counts) {}
  Result<std::byte*> Allocate(size_t bytes, size_t alignment) override {
    if (counts_.fail) return Error(ErrorCode::kResourceExhausted, "out of page-locked memory");
    auto* data = static_cast<std::byte*>(std::aligned_alloc(alignment, bytes));
    ++counts_.allocations;
    counts_.live.insert(data);
    return data;
  }
  void Free(std::byte* data, size_t, size_t) override {
    ++counts_.frees;
    EXPECT_EQ(counts_.live.erase(data), 1u) << "freed twice or never allocated";
    std::free(data);
  }

 private:
  Counts& counts_;
};

bool FromAllocator(const CountingAllocator::Counts& counts, const std::shared_ptr<std::byte[]>& block) {
  return counts.live.count(block.get()) == 1;
}

TEST(BodyMemoryTest, ReusesABlockOnceItsLastHolderDropsIt) {
  CountingAllocator::Counts counts;
  BodyMemory memory(std::make_unique<CountingAllocator>(counts), size_t{64} << 20);
  EXPECT_TRUE(memory.page_locked());
  std::shared_ptr<std::byte[]> first = memory.Allocate(602'112 + 64);
  ASSERT_TRUE(FromAllocator(counts, first));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first.get()) % 64, 0u);
  EXPECT_EQ(memory.pinned_bytes(), size_t{1} << 20);               // the next power of two
  std::shared_ptr<std::byte[]> second = memory.Allocate(700'000);  // the first is still held
  EXPECT_NE(second.get(), first.get());
  std::byte* const first_block = first.get();
  first.reset();
  EXPECT_EQ(memory.free_blocks(), 1u);
  EXPECT_EQ(memory.Allocate(1'000'000).get(), first_block);  // same size class, reused
  EXPECT_EQ(counts.allocations, 2);
  EXPECT_EQ(counts.frees, 0);  // never given back while the memory lives
}

TEST(BodyMemoryTest, StopsPinningAtItsLimitAndForLargeBodies) {
  CountingAllocator::Counts counts;
  BodyMemory memory(std::make_unique<CountingAllocator>(counts), size_t{2} << 20);
  auto a = memory.Allocate(size_t{1} << 20);
  auto b = memory.Allocate(size_t{1} << 20);
  auto c = memory.Allocate(size_t{1} << 20);  // past the 2 MiB limit: ordinary memory
  EXPECT_TRUE(FromAllocator(counts, a));
  EXPECT_TRUE(FromAllocator(counts, b));
  EXPECT_FALSE(FromAllocator(counts, c));
  EXPECT_EQ(memory.pinned_bytes(), size_t{2} << 20);
  auto huge = memory.Allocate(BodyMemory::kLargestBlock + 1);
  EXPECT_FALSE(FromAllocator(counts, huge));
  EXPECT_EQ(counts.allocations, 2);
}

TEST(BodyMemoryTest, FallsBackToOrdinaryMemoryWhenTheAllocatorFails) {
  CountingAllocator::Counts counts;
  counts.fail = true;
  BodyMemory memory(std::make_unique<CountingAllocator>(counts), size_t{64} << 20);
  auto block = memory.Allocate(1000);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(memory.pinned_bytes(), 0u);
  counts.fail = false;
  memory.Allocate(1000);  // it failed once: not asked again
  EXPECT_EQ(counts.allocations, 0);
}

TEST(BodyMemoryTest, ABlockMayOutliveTheMemory) {
  CountingAllocator::Counts counts;
  std::shared_ptr<std::byte[]> held;
  {
    BodyMemory memory(std::make_unique<CountingAllocator>(counts), size_t{64} << 20);
    held = memory.Allocate(1000);
    memory.Allocate(1000);  // returned to the free list at once
    EXPECT_EQ(counts.allocations, 2);
  }
  EXPECT_EQ(counts.frees, 1);  // the free block, with the memory
  held.reset();
  EXPECT_EQ(counts.frees, 2);  // the held one, by its last holder
  EXPECT_TRUE(counts.live.empty());
}

TEST(BodyMemoryTest, WithoutAnAllocatorGivesOrdinaryMemory) {
  BodyMemory memory(nullptr, size_t{64} << 20);
  EXPECT_FALSE(memory.page_locked());
  auto block = memory.Allocate(1000);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block.get()) % 64, 0u);
  EXPECT_EQ(memory.pinned_bytes(), 0u);
  // The CPU backend never pins, whatever the limit.
  EXPECT_FALSE(BodyMemory::ForBackend("cpu", size_t{64} << 20)->page_locked());
  EXPECT_FALSE(BodyMemory::ForBackend("cuda", 0)->page_locked());
}

TEST(BodyMemoryTest, ABodyBufferTakesItsStorageFromIt) {
  CountingAllocator::Counts counts;
  BodyMemory memory(std::make_unique<CountingAllocator>(counts), size_t{64} << 20);
  std::byte* first_body = nullptr;
  {
    BodyBuffer buffer(&memory);
    std::span<std::byte> body = buffer.Prepare(602'112 + 300, 300);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(body.data() + 300) % 64, 0u);
    first_body = body.data();
    buffer.Finish();
    EXPECT_EQ(buffer.Prepare(602'112 + 300, 300).data(), first_body);  // reused by the connection
    buffer.Finish();
  }
  // The connection is gone: its block serves the next one (same block, same placement).
  BodyBuffer next(&memory);
  EXPECT_EQ(next.Prepare(602'112 + 300, 300).data(), first_body);
  EXPECT_EQ(counts.allocations, 1);
  next.Finish();
}

TEST(BodyMemoryTest, ConnectionsTakeAndReturnBlocksConcurrently) {
  CountingAllocator::Counts counts;
  std::mutex counts_mutex;  // the fake allocator's bookkeeping is not thread-safe; the pool calls it unlocked
  class LockedAllocator final : public pcie::HostAllocator {
   public:
    LockedAllocator(CountingAllocator::Counts& counts, std::mutex& mutex) : inner_(counts), mutex_(mutex) {}
    Result<std::byte*> Allocate(size_t bytes, size_t alignment) override {
      std::lock_guard lock(mutex_);
      return inner_.Allocate(bytes, alignment);
    }
    void Free(std::byte* data, size_t bytes, size_t alignment) override {
      std::lock_guard lock(mutex_);
      inner_.Free(data, bytes, alignment);
    }

   private:
    CountingAllocator inner_;
    std::mutex& mutex_;
  };
  constexpr int kThreads = 8;
  {
    BodyMemory memory(std::make_unique<LockedAllocator>(counts, counts_mutex), size_t{6} << 20);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&memory, t] {
        for (int i = 0; i < 2000; ++i) {
          // Two size classes; each body is written whole, as a connection's recv() would.
          const size_t bytes = (i + t) % 2 == 0 ? 600'000 : 100'000;
          std::shared_ptr<std::byte[]> body = memory.Allocate(bytes);
          std::memset(body.get(), t, bytes);
          EXPECT_EQ(body[bytes - 1], static_cast<std::byte>(t));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    // Never more page-locked than the limit, and blocks were reused rather than taken anew.
    EXPECT_LE(memory.pinned_bytes(), size_t{6} << 20);
    EXPECT_LE(counts.allocations, 2 * kThreads);
  }
  EXPECT_TRUE(counts.live.empty());
  EXPECT_EQ(counts.frees, counts.allocations);
}

}  // namespace
}  // namespace missile::server
