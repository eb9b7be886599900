// missile: elastic BE partitions, capped while LS runs memory-bound kernels so LS's predicted slowdown stays
// within the budget. The numbers follow from the H200 contention table: a streaming BE on 8 SMs slows a
// streaming LS 1.04x, on 16 SMs 1.07x; the LS kernels here fill 40 SMs.
#include "sched/missile_policy.h"
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class MissilePolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("missile");
};

TEST_F(MissilePolicyTest, LsArrivingWhileBeHoldsEverySmLaunchesAtOnceOnItsSideOfTheSplit) {
  // BE's kernel was launched on the whole GPU while LS was idle. LS launches at once, at the top priority,
  // on the groups BE will not keep: memory-bound LS beside memory-bound BE leaves BE one group.
  Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
  // Compute-bound LS kernels need 40 SMs: BE keeps 11 groups (44 SMs left for LS), not 12 (36).
  d = policy->Decide(View({Ready(ls, ls_compute), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {11, 17}, 3)}));
}

TEST_F(MissilePolicyTest, BeKernelBesideMemoryBoundLsGoesToTheSmallestPartition) {
  const Decisions d = policy->Decide(View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0)}));
}

TEST_F(MissilePolicyTest, TheBudgetSetsTheCap) {
  PolicyOptions options;
  options.missile_slowdown_budget = 0.10;  // 16 SMs (1.07x) now fit, 24 (1.175x) do not
  const Decisions d = Policy("missile", options)
                          ->Decide(View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 2}, 0)}));
}

TEST_F(MissilePolicyTest, ComputeBoundOnEitherSideLetsBeKeepWhatLsCannotUse) {
  // Compute-bound BE beside memory-bound LS pulls no bandwidth: only LS's 40 SMs limit it.
  Decisions d = policy->Decide(View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_compute, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 11}, 0)}));
  // Memory-bound BE beside compute-bound LS: LS does not feel the bandwidth.
  d = policy->Decide(View({Running(ls, ls_compute, 0, {11, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 11}, 0)}));
}

TEST_F(MissilePolicyTest, GradedMemoryIntensityGradesTheCap) {
  // LS at half intensity tolerates table slowdowns up to 1.10x: a streaming BE on 16 SMs (1.07x) but not 24.
  const std::vector<KernelProfile> half{MakeKernel("ls_half", 10, 40, 0.5)};
  const Decisions d = policy->Decide(View({Running(ls, half, 0, {1, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 2}, 0)}));
}

TEST_F(MissilePolicyTest, ThePredictionLooksAsFarAheadAsTheBeKernelRuns) {
  // LS runs a compute-bound kernel, then four memory-bound ones (50 us in all). A BE kernel over by the time
  // LS turns memory-bound may take what the compute-bound kernel leaves; a long one overlaps the whole
  // request, whose time grows by (10 + 4 x 10.7) / 50 = 5.6% with BE on 16 SMs, so it gets 8.
  std::vector<KernelProfile> ls_kernels{MakeKernel("c", 10, 40, 0.0)};
  for (int i = 0; i < 4; ++i) ls_kernels.push_back(MakeKernel("m", 10, 40, 1.0));
  const std::vector<KernelProfile> short_be{MakeKernel("short", 0.5, 10000, 1.0)};
  const std::vector<KernelProfile> long_be{MakeKernel("long", 50, 10000, 1.0)};
  EXPECT_EQ(policy->Decide(View({Running(ls, ls_kernels, 0, {1, 17}, 3), Ready(be, short_be)})),
            (Decisions{D::Launch(kBe, {0, 11}, 0)}));
  EXPECT_EQ(policy->Decide(View({Running(ls, ls_kernels, 0, {1, 17}, 3), Ready(be, long_be)})),
            (Decisions{D::Launch(kBe, {0, 1}, 0)}));
}

TEST_F(MissilePolicyTest, TwoLsTenantsTheMoreSensitiveOneDecides) {
  const Decisions d = policy->Decide(
      View({Running(ls, ls_compute, 0, {1, 17}, 3), Ready(be, be_memory, 1), Ready(ls2, ls_memory)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0), D::Launch(kLs2, {1, 17}, 4)}));
}

TEST_F(MissilePolicyTest, BeTakesTheWholeGpuWhileLsIsIdle) {
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(be, be_memory)})), (Decisions{D::Launch(kBe, All(), 0)}));
  TenantSpec capped = be;
  capped.bounds = {1, 8};
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(capped, be_memory)})),
            (Decisions{D::Launch(kBe, {0, 8}, 0)}));
}

TEST_F(MissilePolicyTest, WhenNoSplitMeetsTheBudgetBeGetsItsMinimumOrHolds) {
  // An LS kernel that fills every SM and streams: any BE group costs it more than 5%.
  const std::vector<KernelProfile> ls_big{MakeKernel("big", 10, 132, 1.0)};
  EXPECT_EQ(policy->Decide(View({Running(ls, ls_big, 0, All(), 3), Ready(be, be_memory, 1)})),
            (Decisions{D::Launch(kBe, {0, 1}, 0)}))
      << "min_groups 1 is a guarantee";
  TenantSpec no_min = be;
  no_min.bounds = {0, kAllGroups};
  EXPECT_EQ(policy->Decide(View({Running(ls, ls_big, 0, All(), 3), Ready(no_min, be_memory, 1)})),
            (Decisions{D::Hold(kBe)}));
  // ...and once LS is idle again, BE gets everything.
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(no_min, be_memory, 1)})),
            (Decisions{D::Launch(kBe, All(), 0)}));
}

TEST_F(MissilePolicyTest, BeWithoutAGuaranteeWaitsWhenThatFinishesItsKernelSooner) {
  TenantSpec no_min = be;
  no_min.bounds = {0, kAllGroups};
  // LS has 20 us of work left; BE's kernel takes 825 us on one group, 50 us on the whole GPU: wait.
  TenantView ls_view = Running(ls, ls_memory, 0, {1, 17}, 3);
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, be_memory, 1)})), (Decisions{D::Hold(kBe)}));
  // With 100 LS requests queued, waiting would take longer than running on one group.
  ls_view.queued_requests = 100;
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, be_memory, 1)})),
            (Decisions{D::Launch(kBe, {0, 1}, 0)}));
  // A BE tenant guaranteed a group (min_groups 1) runs beside LS regardless: see the test above.
}

TEST_F(MissilePolicyTest, LsUsesTheGroupsBeDoesNotHoldYet) {
  // BE's kernel in flight holds [0, 1); at its next boundary it may take 11 groups (LS is compute-bound), but
  // until then LS launches on everything above its group.
  const Decisions d = policy->Decide(View({Ready(ls, ls_compute), Running(be, be_memory, 0, {0, 1}, 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
}

TEST_F(MissilePolicyTest, LsMinimumBoundsTheBeShare) {
  TenantSpec guarded = ls;
  guarded.bounds = {8, kAllGroups};
  const std::vector<KernelProfile> tiny{MakeKernel("tiny", 10, 8, 0.0)};
  const Decisions d = policy->Decide(View({Running(guarded, tiny, 0, {9, 17}, 3), Ready(be, be_compute, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 9}, 0)}));
}

TEST_F(MissilePolicyTest, PredictionMatchesTheContentionTable) {
  const MissilePolicy missile(0.05, ContentionModel::H200());
  const SchedulerView view = View({Running(ls, ls_memory, 0, {1, 17}, 3)});
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_memory[0], 1, 0), 1.04, 1e-9);
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_memory[0], 2, 0), 1.07, 1e-9);
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_compute[0], 11, 0), 1.0, 1e-9);
  EXPECT_GT(missile.PredictLsSlowdown(view, be_compute[0], 12, 0), 1.10) << "LS is left 36 of its 40 SMs";
}

TEST_F(MissilePolicyTest, DecisionsArePure) {
  const SchedulerView view =
      View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_memory, 1), Ready(ls2, ls_compute)});
  EXPECT_EQ(policy->Decide(view), policy->Decide(view));
}

}  // namespace
}  // namespace missile::sched::testing
