#include "plan/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace missile::plan {
namespace {

bool Overlap(size_t a, size_t a_bytes, size_t b, size_t b_bytes) {
  return a < b + b_bytes && b < a + a_bytes;
}

TEST(MemoryPlannerTest, ReusesMemoryOfBuffersThatAreDead) {
  // A chain: each buffer lives for two steps, so two slots suffice.
  std::vector<BufferRequest> chain;
  for (int i = 0; i < 10; ++i) chain.push_back({1000, i, i + 1});
  MemoryPlan plan = PlanMemory(chain);
  EXPECT_EQ(plan.arena_bytes, 2 * 1024u);
}

TEST(MemoryPlannerTest, AlignsEveryOffset) {
  MemoryPlan plan = PlanMemory({{10, 0, 5}, {300, 0, 5}, {7, 0, 5}});
  for (size_t offset : plan.offsets) EXPECT_EQ(offset % kBufferAlignment, 0u);
}

TEST(MemoryPlannerTest, LiveBuffersNeverOverlapOnRandomPlans) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> requests;
    for (int i = 0; i < 60; ++i) {
      const int first = static_cast<int>(rng() % 40);
      requests.push_back({1 + rng() % 100000, first, first + static_cast<int>(rng() % 8)});
    }
    MemoryPlan plan = PlanMemory(requests);
    size_t total = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      total += requests[i].bytes;
      EXPECT_LE(plan.offsets[i] + requests[i].bytes, plan.arena_bytes);
      for (size_t j = i + 1; j < requests.size(); ++j) {
        const bool live_together = requests[i].first_step <= requests[j].last_step &&
                                   requests[j].first_step <= requests[i].last_step;
        if (live_together) {
          EXPECT_FALSE(Overlap(plan.offsets[i], requests[i].bytes, plan.offsets[j], requests[j].bytes))
              << "trial " << trial << " buffers " << i << " and " << j;
        }
      }
    }
    EXPECT_LT(plan.arena_bytes, total);  // some reuse always happens with these lifetimes
  }
}

}  // namespace
}  // namespace missile::plan
