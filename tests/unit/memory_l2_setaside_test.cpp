#include <gtest/gtest.h>

#include "memory/l2_setaside_decision.h"
#include "memory/l2_setaside_plan.h"
#include "memory/l2_window.h"

namespace missile::memory {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(MemoryL2WindowTest, CoversEverythingWhenItFits) {
  const std::vector<HotRegion> weights = {
      {0x1000000, 4 * kMiB}, {0x1400000, 8 * kMiB}, {0x1c00000, 2 * kMiB}};
  const WindowChoice w = ChooseAccessWindow(weights, 32 * kMiB, 128 * kMiB);
  EXPECT_EQ(w.base, 0x1000000u);
  EXPECT_EQ(w.bytes, 14 * kMiB);
  EXPECT_FLOAT_EQ(w.hit_ratio, 1.0f);
  EXPECT_EQ(w.covered_regions, 3);
  EXPECT_DOUBLE_EQ(w.served_bytes_per_request, double(14 * kMiB));
}

TEST(MemoryL2WindowTest, LargerThanTheBudgetGetsAProportionalHitRatio) {
  // ResNet-50's fp16 weights (~49 MiB) against the H200's 37.5 MiB set-aside.
  const std::vector<HotRegion> weights = {{0x7f0000000000, 49 * kMiB}};
  const WindowChoice w = ChooseAccessWindow(weights, 37 * kMiB + kMiB / 2, 128 * kMiB);
  EXPECT_EQ(w.bytes, 49 * kMiB);
  EXPECT_NEAR(w.hit_ratio, 37.5 / 49.0, 1e-6);
  EXPECT_NEAR(w.served_bytes_per_request, 37.5 * kMiB, 1.0);
}

TEST(MemoryL2WindowTest, PrefersDenseRunsOverGaps) {
  // Two dense clusters far apart: covering both would waste the budget on the gap.
  const std::vector<HotRegion> regions = {{0, 8 * kMiB},
                                          {8 * kMiB, 8 * kMiB},     // dense, 16 MiB
                                          {200 * kMiB, 4 * kMiB}};  // alone, far away
  const WindowChoice w = ChooseAccessWindow(regions, 16 * kMiB, 256 * kMiB);
  EXPECT_EQ(w.base, 0u);
  EXPECT_EQ(w.bytes, 16 * kMiB);
  EXPECT_FLOAT_EQ(w.hit_ratio, 1.0f);
  // A hotter (more often read) region wins over a larger cold one when the budget holds only one.
  const std::vector<HotRegion> heat = {{0, 8 * kMiB, 1.0}, {64 * kMiB, 4 * kMiB, 4.0}};
  const WindowChoice h = ChooseAccessWindow(heat, 4 * kMiB, 256 * kMiB);
  EXPECT_EQ(h.base, 64 * kMiB);
  EXPECT_EQ(h.bytes, 4 * kMiB);
}

TEST(MemoryL2WindowTest, RespectsTheMaximumWindowAndEmptyInputs) {
  const std::vector<HotRegion> big = {{0, 300 * kMiB}};
  const WindowChoice w = ChooseAccessWindow(big, 30 * kMiB, 128 * kMiB);
  EXPECT_EQ(w.bytes, 128 * kMiB);
  EXPECT_NEAR(w.hit_ratio, 30.0 / 128.0, 1e-6);
  const std::vector<HotRegion> spread = {{0, 64 * kMiB}, {100 * kMiB, 64 * kMiB}};
  const WindowChoice s = ChooseAccessWindow(spread, 128 * kMiB, 128 * kMiB);
  EXPECT_LE(s.bytes, 128 * kMiB);
  EXPECT_EQ(s.covered_regions, 1);
  EXPECT_EQ(ChooseAccessWindow({}, kMiB, kMiB).bytes, 0u);
  EXPECT_EQ(ChooseAccessWindow(big, 0, kMiB).bytes, 0u);
}

TEST(MemoryL2SetAsidePlanTest, OnlyLatencySensitiveTenantsShareMaxMinFairly) {
  const L2Limits limits{30 * kMiB, 128 * kMiB};
  const std::vector<L2Tenant> tenants = {{"small-ls", true, 4 * kMiB},
                                         {"big-ls", true, 100 * kMiB},
                                         {"mid-ls", true, 20 * kMiB},
                                         {"be", false, 500 * kMiB}};
  const L2SetAsidePlan plan = PlanL2SetAside(tenants, limits);
  EXPECT_EQ(plan.budgets.at("small-ls"), 4 * kMiB);  // covered whole
  EXPECT_EQ(plan.budgets.at("mid-ls"), 13 * kMiB);   // (30 - 4) / 2
  EXPECT_EQ(plan.budgets.at("big-ls"), 13 * kMiB);
  EXPECT_FALSE(plan.budgets.contains("be"));
  EXPECT_EQ(plan.device_limit_bytes, 30 * kMiB);
  // Half the set-aside left to normal traffic.
  EXPECT_EQ(PlanL2SetAside(tenants, limits, 0.5).device_limit_bytes, 15 * kMiB);
  // Nobody latency-sensitive: nothing set aside.
  const std::vector<L2Tenant> be_only = {{"be", false, 500 * kMiB}};
  EXPECT_EQ(PlanL2SetAside(be_only, limits).device_limit_bytes, 0u);
}

TEST(MemoryL2SetAsidePlanTest, ResetWhenTenantsChange) {
  const L2Limits limits{30 * kMiB, 128 * kMiB};
  const std::vector<L2Tenant> one = {{"a", true, 10 * kMiB}};
  const std::vector<L2Tenant> two = {{"a", true, 10 * kMiB}, {"b", true, 10 * kMiB}};
  const std::vector<L2Tenant> two_plus_be = {
      {"a", true, 10 * kMiB}, {"b", true, 10 * kMiB}, {"c", false, kMiB}};
  EXPECT_FALSE(NeedsReset(PlanL2SetAside(one, limits), PlanL2SetAside(one, limits)));
  EXPECT_TRUE(NeedsReset(PlanL2SetAside(one, limits), PlanL2SetAside(two, limits)));
  EXPECT_TRUE(NeedsReset(PlanL2SetAside(two, limits), PlanL2SetAside(one, limits)));
  EXPECT_FALSE(NeedsReset(PlanL2SetAside(two, limits), PlanL2SetAside(two_plus_be, limits)));
}

TEST(MemoryL2SetAsideDecisionTest, UsedOnlyWhenItMeasurablyHelps) {
  const SetAsideDecision helps = DecideL2SetAside({{2.0, 2.1, 2.05}, {1.7, 1.75, 1.72}});
  EXPECT_TRUE(helps.use) << helps.reason;
  EXPECT_NEAR(helps.gain, 1 - 1.72 / 2.05, 1e-9);
  EXPECT_DOUBLE_EQ(helps.confidence, 1.0);
  // Within noise: overlapping rounds.
  const SetAsideDecision noise = DecideL2SetAside({{2.0, 1.8, 2.1}, {1.85, 2.05, 1.9}});
  EXPECT_FALSE(noise.use) << noise.reason;
  // Consistent but tiny: below the minimum gain.
  const SetAsideDecision tiny = DecideL2SetAside({{2.0, 2.0, 2.0}, {1.99, 1.99, 1.99}});
  EXPECT_FALSE(tiny.use);
  EXPECT_DOUBLE_EQ(tiny.confidence, 1.0);
  // Harmful.
  EXPECT_FALSE(DecideL2SetAside({{2.0, 2.0, 2.0}, {2.5, 2.6, 2.4}}).use);
  // Too few rounds to tell.
  const SetAsideDecision few = DecideL2SetAside({{2.0}, {1.0}});
  EXPECT_FALSE(few.use);
  EXPECT_NE(few.reason.find("at least 3"), std::string::npos);
}

}  // namespace
}  // namespace missile::memory
