#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "pcie/staging_pool.h"

namespace missile::pcie {
namespace {

// Hands out aligned memory until `allowed` allocations have been made, and counts what is live.
class CountingAllocator final : public HostAllocator {
 public:
  explicit CountingAllocator(int allowed = 1 << 30) : allowed_(allowed) {}
  Result<std::byte*> Allocate(size_t bytes, size_t alignment) override {
    if (allowed_-- <= 0) return Error(ErrorCode::kResourceExhausted, "pinned memory is exhausted");
    ++live;
    return inner_.Allocate(bytes, alignment);
  }
  void Free(std::byte* data, size_t bytes, size_t alignment) override {
    --live;
    inner_.Free(data, bytes, alignment);
  }
  int live = 0;

 private:
  int allowed_;
  AlignedHostAllocator inner_;
};

TEST(PcieStagingPoolTest, HandsOutABoundedSetOfAlignedBuffers) {
  CountingAllocator allocator;
  {
    Result<std::unique_ptr<StagingPool>> created = StagingPool::Create(allocator, 64 * 1024, 3);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    StagingPool& pool = **created;
    EXPECT_EQ(pool.capacity(), 3u);
    EXPECT_EQ(pool.buffer_bytes(), 64u * 1024);
    std::set<std::byte*> taken;
    for (int i = 0; i < 3; ++i) {
      std::byte* buffer = pool.TryAcquire();
      ASSERT_NE(buffer, nullptr);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer) % StagingPool::kAlignment, 0u);
      buffer[0] = buffer[64 * 1024 - 1] = std::byte{1};  // the whole buffer is usable
      taken.insert(buffer);
    }
    EXPECT_EQ(taken.size(), 3u) << "distinct buffers";
    EXPECT_EQ(pool.available(), 0u);
    EXPECT_EQ(pool.TryAcquire(), nullptr) << "exhausted: never grows, never blocks";
    std::byte* returned = *taken.begin();
    pool.Release(returned);
    EXPECT_EQ(pool.available(), 1u);
    EXPECT_EQ(pool.TryAcquire(), returned);
    for (std::byte* buffer : taken) pool.Release(buffer);
    EXPECT_EQ(allocator.live, 3);
  }
  EXPECT_EQ(allocator.live, 0) << "the pool frees its buffers";
}

TEST(PcieStagingPoolTest, ReportsAllocationFailureAndFreesWhatItGot) {
  CountingAllocator allocator(/*allowed=*/2);
  Result<std::unique_ptr<StagingPool>> created = StagingPool::Create(allocator, 4096, 4);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(allocator.live, 0);
}

TEST(PcieStagingPoolTest, RejectsEmptyPools) {
  CountingAllocator allocator;
  EXPECT_EQ(StagingPool::Create(allocator, 0, 4).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(StagingPool::Create(allocator, 4096, 0).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::pcie
