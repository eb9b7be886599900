// missile: BE takes the whole GPU while LS is idle and its smallest partition the moment LS is active;
// beside LS kernels that stream DRAM its launches are paced so that LS's predicted slowdown stays within the
// budget. The numbers follow from the H200 contention table: a streaming BE on 8 SMs (647 GB/s) slows a
// streaming LS 1.04x, on 16 SMs (1267 GB/s) 1.07x; the LS kernels here fill 40 SMs.
#include "sched/missile_policy.h"
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class MissilePolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("missile");

  static std::unique_ptr<SchedulingPolicy> WithBudget(double budget) {
    PolicyOptions options;
    options.missile_slowdown_budget = budget;
    return Policy("missile", options);
  }
  // BE's decision must be a launch into `partition` paced by about `pace_us`.
  static void ExpectBeLaunch(const Decisions& d, GroupRange partition, double pace_us) {
    const KernelDecision be = For(d, kBe);
    EXPECT_EQ(be.action, Action::kLaunch) << DescribeDecision(be);
    EXPECT_EQ(be.partition, partition) << DescribeDecision(be);
    EXPECT_NEAR(be.pace_us, pace_us, 1e-3) << DescribeDecision(be);
  }

  // How much longer a streaming BE kernel runs beside LS kernels pulling what `ls_sms` streaming SMs pull
  // (the duty cycle counts BE's time beside LS).
  static double BeStretch(double ls_sms, double ls_intensity = 1.0) {
    const ContentionModel& dram = ContentionModel::H200();
    return dram.Slowdown(1.0, dram.PulledBandwidth(ls_sms, ls_intensity));
  }

  TenantSpec no_min{kBe, TenantClass::kBestEffort, {0, kAllGroups}, 0};
  // LS streaming for a long time: 100 kernels that fill the GPU.
  std::vector<KernelProfile> ls_stream = std::vector<KernelProfile>(100, MakeKernel("s", 10, 132, 1.0));
};

TEST_F(MissilePolicyTest, LsArrivingWhileBeHoldsEverySmLaunchesAtOnceOnItsSideOfTheSplit) {
  // BE's kernel was launched on the whole GPU while LS was idle. LS launches at once, at the top priority, on
  // every group but BE's smallest partition (its next kernel's), whatever LS's kernels are.
  Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
  d = policy->Decide(View({Ready(ls, ls_compute), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
  // A BE tenant with no guarantee will hold at its boundary (its kernel takes 825 us on one group, LS has
  // 20 us left): LS takes the whole GPU.
  d = policy->Decide(View({Ready(ls, ls_memory), Running(no_min, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {0, 17}, 3)}));
}

TEST_F(MissilePolicyTest, BeKernelBesideMemoryBoundLsGoesToTheSmallestPartition) {
  const Decisions d = policy->Decide(View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0)})) << "1.04x predicted: within 5%, no pace";
}

TEST_F(MissilePolicyTest, BeBesideComputeBoundLsAlsoGetsOnlyTheSmallestPartition) {
  // Even where LS's kernel leaves SMs idle: a BE kernel outlasts LS kernels many times over, so the SMs one
  // LS kernel leaves now are not those its next ones leave.
  Decisions d = policy->Decide(View({Running(ls, ls_compute, 0, {1, 17}, 3), Ready(be, be_memory, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0)}));
  d = policy->Decide(View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_compute, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0)}));
}

TEST_F(MissilePolicyTest, TheBudgetSetsThePace) {
  const SchedulerView view = View({Running(ls, ls_stream, 0, {1, 17}, 3), Ready(be, be_memory, 1)});
  // 1.04x is within 5%: no pace.
  ExpectBeLaunch(policy->Decide(view), {0, 1}, 0);
  // Within 2%, the 825-us kernel must idle 825 x (1.04 - 1.02) / (1.04 x 0.02) us first.
  ExpectBeLaunch(WithBudget(0.02)->Decide(view), {0, 1},
                 MissilePolicy::PaceUs(825 * BeStretch(124), 1.04, 0.02));
  EXPECT_NEAR(MissilePolicy::PaceUs(825, 1.04, 0.02), 825 * 0.02 / (1.04 * 0.02), 1e-9);
  // A BE tenant guaranteed two groups (1267 GB/s: 1.07x) keeps them, paced within the 5% budget.
  TenantSpec two = be;
  two.bounds = {2, kAllGroups};
  const Decisions d = policy->Decide(View({Running(ls, ls_stream, 0, {2, 17}, 3), Ready(two, be_memory, 1)}));
  ExpectBeLaunch(d, {0, 2}, MissilePolicy::PaceUs(412.5 * BeStretch(116), 1.07, 0.05));
}

TEST_F(MissilePolicyTest, ABeSegmentIsPacedWhole) {
  // Four copies of the 825-us streaming kernel launched as one segment: the duty cycle covers all four, so
  // the stream idles four times as long before it as before one of them.
  const std::vector<KernelProfile> four(4, be_memory[0]);
  TenantView segment = Ready(be, four);
  segment.next_steps = 4;
  const SchedulerView view = View({Running(ls, ls_stream, 0, {1, 17}, 3), segment});
  ExpectBeLaunch(WithBudget(0.02)->Decide(view), {0, 1},
                 MissilePolicy::PaceUs(4 * 825 * BeStretch(124), 1.04, 0.02));
}

TEST_F(MissilePolicyTest, GradedMemoryIntensityGradesThePace) {
  // LS at half intensity feels half the table's slowdown: 1.035x beside two streaming groups, no pace.
  TenantSpec two = be;
  two.bounds = {2, kAllGroups};
  const std::vector<KernelProfile> half(100, MakeKernel("half", 10, 132, 0.5));
  ExpectBeLaunch(policy->Decide(View({Running(ls, half, 0, {2, 17}, 3), Ready(two, be_memory, 1)})), {0, 2},
                 0);
  ExpectBeLaunch(policy->Decide(View({Running(ls, ls_stream, 0, {2, 17}, 3), Ready(two, be_memory, 1)})),
                 {0, 2}, MissilePolicy::PaceUs(412.5 * BeStretch(116), 1.07, 0.05));
}

TEST_F(MissilePolicyTest, ThePredictionLooksAsFarAheadAsTheBeKernelRuns) {
  // LS runs a compute-bound kernel, then four streaming ones (50 us in all). A BE kernel over before LS
  // turns memory-bound is not paced; a long one overlaps the whole request, whose time grows by
  // (10 + 4 x 10.4) / 50 = 3.2% with BE on one group: beyond a 2% budget.
  std::vector<KernelProfile> ls_kernels{MakeKernel("c", 10, 40, 0.0)};
  for (int i = 0; i < 4; ++i) ls_kernels.push_back(MakeKernel("m", 10, 40, 1.0));
  const std::vector<KernelProfile> short_be{MakeKernel("short", 0.5, 10000, 1.0)};
  const std::vector<KernelProfile> long_be{MakeKernel("long", 50, 10000, 1.0)};
  const auto strict = WithBudget(0.02);
  ExpectBeLaunch(strict->Decide(View({Running(ls, ls_kernels, 0, {1, 17}, 3), Ready(be, short_be)})), {0, 1},
                 0);
  ExpectBeLaunch(strict->Decide(View({Running(ls, ls_kernels, 0, {1, 17}, 3), Ready(be, long_be)})), {0, 1},
                 MissilePolicy::PaceUs(825 * BeStretch(40, 0.8), 1.032, 0.02));
}

TEST_F(MissilePolicyTest, ThePredictionFollowsAnLsRequestRunAsOneGraph) {
  // The same LS request launched whole (one CUDA graph): the view shows its first kernel as running for the
  // request's whole length; the time since the launch says where it is. A short BE kernel (8.25 us on one
  // group) beside the compute-bound start is not paced; 15 us in, LS streams, and it is.
  std::vector<KernelProfile> ls_kernels{MakeKernel("c", 10, 40, 0.0)};
  for (int i = 0; i < 4; ++i) ls_kernels.push_back(MakeKernel("m", 10, 40, 1.0));
  const std::vector<KernelProfile> short_be{MakeKernel("short", 0.5, 10000, 1.0)};
  TenantView graph = Running(ls, ls_kernels, 0, {1, 17}, 3);
  graph.running->steps = ls_kernels.size();
  const auto strict = WithBudget(0.02);
  ExpectBeLaunch(strict->Decide(View({graph, Ready(be, short_be)})), {0, 1}, 0);
  graph.running->elapsed_us = 15;
  ExpectBeLaunch(strict->Decide(View({graph, Ready(be, short_be)})), {0, 1},
                 MissilePolicy::PaceUs(8.25 * BeStretch(40), 1.04, 0.02));
}

TEST_F(MissilePolicyTest, TwoLsTenantsTheMoreSensitiveOneDecides) {
  const auto strict = WithBudget(0.02);
  ExpectBeLaunch(strict->Decide(View({Running(ls, ls_compute, 0, {1, 17}, 3), Ready(be, be_memory, 1)})),
                 {0, 1}, 0);
  const Decisions d = strict->Decide(
      View({Running(ls, ls_compute, 0, {1, 17}, 3), Ready(be, be_memory, 1), Ready(ls2, ls_memory)}));
  ExpectBeLaunch(d, {0, 1}, MissilePolicy::PaceUs(825 * BeStretch(40), 1.04, 0.02));
  EXPECT_EQ(For(d, kLs2), D::Launch(kLs2, {1, 17}, 4));
}

TEST_F(MissilePolicyTest, BeTakesTheWholeGpuWhileLsIsIdle) {
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(be, be_memory)})), (Decisions{D::Launch(kBe, All(), 0)}));
  TenantSpec capped = be;
  capped.bounds = {1, 8};
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(capped, be_memory)})),
            (Decisions{D::Launch(kBe, {0, 8}, 0)}));
}

TEST_F(MissilePolicyTest, WhenTheSmallestPartitionBreaksTheBudgetBeIsPacedOrHolds) {
  const auto strict = WithBudget(0.02);
  // min_groups 1 is a guarantee: BE keeps its group and keeps running, paced.
  ExpectBeLaunch(strict->Decide(View({Running(ls, ls_stream, 0, All(), 3), Ready(be, be_memory, 1)})), {0, 1},
                 MissilePolicy::PaceUs(825 * BeStretch(124), 1.04, 0.02));
  // Without one it holds...
  EXPECT_EQ(strict->Decide(View({Running(ls, ls_stream, 0, All(), 3), Ready(no_min, be_memory, 1)})),
            (Decisions{D::Hold(kBe)}));
  // ...and once LS is idle again, BE gets everything.
  EXPECT_EQ(strict->Decide(View({Idle(ls), Ready(no_min, be_memory, 1)})),
            (Decisions{D::Launch(kBe, All(), 0)}));
}

TEST_F(MissilePolicyTest, AMeasuredObservationOnTheSamePartitionReplacesThePrediction) {
  // The model predicts 1.04x beside one streaming group (within 5%: no pace); a run measured 1.30x while BE
  // ran, and BE 2.9x longer than alone: the pace follows the measurement.
  TenantView be_view = Ready(be, be_memory, 1);
  be_view.observed = ContentionObservation{1, 1.30, 2.9};
  ExpectBeLaunch(policy->Decide(View({Running(ls, ls_stream, 0, {1, 17}, 3), be_view})), {0, 1},
                 MissilePolicy::PaceUs(825 * 2.9, 1.30, 0.05));
  // Measured within the budget: no pace, whatever the model says (it would pace at 2%).
  be_view.observed = ContentionObservation{1, 1.01, 1.5};
  ExpectBeLaunch(WithBudget(0.02)->Decide(View({Running(ls, ls_stream, 0, {1, 17}, 3), be_view})), {0, 1}, 0);
  // Measured on another partition: the prediction stands.
  be_view.observed = ContentionObservation{2, 1.30, 2.9};
  ExpectBeLaunch(policy->Decide(View({Running(ls, ls_stream, 0, {1, 17}, 3), be_view})), {0, 1}, 0);
  // A BE tenant without a guarantee holds rather than be paced.
  TenantView no_min_view = Ready(no_min, be_memory, 1);
  no_min_view.observed = ContentionObservation{1, 1.30, 2.9};
  EXPECT_EQ(policy->Decide(View({Running(ls, ls_stream, 0, {1, 17}, 3), no_min_view})),
            (Decisions{D::Hold(kBe)}));
}

TEST_F(MissilePolicyTest, BeWithoutAGuaranteeYieldsToLsWhileLsHasWork) {
  // LS has one request in progress: BE holds, even a kernel that would finish sooner beside it.
  TenantView ls_view = Running(ls, ls_memory, 0, {1, 17}, 3);
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, be_memory, 1)})), (Decisions{D::Hold(kBe)}));
  const std::vector<KernelProfile> short_be{MakeKernel("short", 0.5, 10000, 0.0)};
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, short_be)})), (Decisions{D::Hold(kBe)}));
  // Backlogged (100 requests queued behind the one in progress): still holds, on any group.
  ls_view.queued_requests = 100;
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, be_memory, 1)})), (Decisions{D::Hold(kBe)}));
  EXPECT_EQ(policy->Decide(View({ls_view, Ready(no_min, short_be)})), (Decisions{D::Hold(kBe)}));
  // Once LS has nothing queued or running, BE takes the whole GPU again.
  EXPECT_EQ(policy->Decide(View({Idle(ls), Ready(no_min, be_memory, 1)})),
            (Decisions{D::Launch(kBe, All(), 0)}));
  // A BE tenant guaranteed a group (min_groups 1) runs beside LS regardless: see the tests above.
}

TEST_F(MissilePolicyTest, LsUsesTheGroupsBeDoesNotHoldYet) {
  // BE (guaranteed 3 groups) has a kernel in flight on [0, 1); at its next boundary it takes [0, 3), but
  // until then LS launches on everything above its group.
  TenantSpec three = be;
  three.bounds = {3, kAllGroups};
  const Decisions d = policy->Decide(View({Ready(ls, ls_compute), Running(three, be_memory, 0, {0, 1}, 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
}

TEST_F(MissilePolicyTest, LsMinimumBoundsTheBeShare) {
  // BE asks for 12 groups beside LS; LS is guaranteed 8 of the 17: BE gets 9.
  TenantSpec guarded = ls;
  guarded.bounds = {8, kAllGroups};
  TenantSpec greedy = be;
  greedy.bounds = {12, kAllGroups};
  const std::vector<KernelProfile> tiny{MakeKernel("tiny", 10, 8, 0.0)};
  const Decisions d =
      policy->Decide(View({Running(guarded, tiny, 0, {9, 17}, 3), Ready(greedy, be_compute, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 9}, 0)}));
}

TEST_F(MissilePolicyTest, PredictionMatchesTheContentionTable) {
  const MissilePolicy missile(0.05, ContentionModel::H200());
  const SchedulerView view = View({Running(ls, ls_memory, 0, {1, 17}, 3)});
  const std::span<const KernelProfile> be_mem(be_memory.data(), 1), be_cmp(be_compute.data(), 1);
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_mem, 1, 0), 1.04, 1e-9);
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_mem, 2, 0), 1.07, 1e-9);
  // BE in flight adds up: 647 + 1267 GB/s, between the table's 1267 (1.07x) and 2379 (1.28x).
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_mem, 1, 1267), 1.07 + 0.21 * 647 / 1112, 1e-9);
  // It is DRAM's share of the slowdown: BE's floor of SMs is the operator's guarantee, not charged.
  EXPECT_NEAR(missile.PredictLsSlowdown(view, be_cmp, 12, 0), 1.0, 1e-9);
}

TEST_F(MissilePolicyTest, ThePaceHoldsLsWithinTheBudgetOverTheDutyCycle) {
  const double pace = MissilePolicy::PaceUs(100, 1.19, 0.05);
  EXPECT_NEAR((100 + pace) / (100 / 1.19 + pace), 1.05, 1e-12);
  EXPECT_EQ(MissilePolicy::PaceUs(100, 1.04, 0.05), 0) << "within the budget";
  // Never below a 5% duty cycle: BE keeps running.
  EXPECT_NEAR(MissilePolicy::PaceUs(100, 2.0, 0.0), 1900, 1e-9);
  EXPECT_NEAR(MissilePolicy::PaceUs(100, 50, 0.05), 1900, 1e-9);
}

TEST_F(MissilePolicyTest, DecisionsArePure) {
  const SchedulerView view =
      View({Running(ls, ls_memory, 0, {1, 17}, 3), Ready(be, be_memory, 1), Ready(ls2, ls_compute)});
  EXPECT_EQ(policy->Decide(view), policy->Decide(view));
}

}  // namespace
}  // namespace missile::sched::testing
