#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <string>

#include "pcie/ring_queue.h"

namespace missile::pcie {
namespace {

TEST(PcieRingQueueTest, RoundsCapacityUpToAPowerOfTwo) {
  EXPECT_EQ(RingQueue<int>(0).capacity(), 1u);
  EXPECT_EQ(RingQueue<int>(1).capacity(), 1u);
  EXPECT_EQ(RingQueue<int>(5).capacity(), 8u);
  EXPECT_EQ(RingQueue<int>(16).capacity(), 16u);
}

TEST(PcieRingQueueTest, KeepsOrderAcrossWrapAndGrowth) {
  RingQueue<int> queue(4);
  // Wrap the head around before growing, so that growth has to unwrap.
  for (int i = 0; i < 3; ++i) queue.PushBack(i);
  EXPECT_EQ(queue.PopFront(), 0);
  EXPECT_EQ(queue.PopFront(), 1);
  for (int i = 3; i < 12; ++i) queue.PushBack(i);  // 2..11: ten elements, grows to 16
  EXPECT_EQ(queue.size(), 10u);
  EXPECT_EQ(queue.capacity(), 16u);
  EXPECT_EQ(queue.Front(), 2);
  for (int i = 2; i < 12; ++i) EXPECT_EQ(queue.PopFront(), i);
  EXPECT_TRUE(queue.empty());
}

TEST(PcieRingQueueTest, DoesNotGrowWithinItsCapacity) {
  RingQueue<int> queue(8);
  for (int round = 0; round < 1000; ++round) {
    for (int i = 0; i < 8; ++i) queue.PushBack(round * 8 + i);
    for (int i = 0; i < 8; ++i) ASSERT_EQ(queue.PopFront(), round * 8 + i);
  }
  EXPECT_EQ(queue.capacity(), 8u);
}

TEST(PcieRingQueueTest, MatchesADequeUnderRandomUse) {
  RingQueue<std::unique_ptr<std::string>> queue(2);  // move-only elements
  std::deque<std::string> reference;
  std::mt19937 random(7);
  for (int step = 0; step < 20000; ++step) {
    if (reference.empty() || random() % 3 != 0) {
      const std::string value = std::to_string(step);
      queue.PushBack(std::make_unique<std::string>(value));
      reference.push_back(value);
    } else {
      ASSERT_EQ(*queue.PopFront(), reference.front());
      reference.pop_front();
    }
    ASSERT_EQ(queue.size(), reference.size());
  }
}

}  // namespace
}  // namespace missile::pcie
