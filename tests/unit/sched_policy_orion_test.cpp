// orion: BE beside LS only when their profiles do not contend and the BE kernel's SM need fits.
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class OrionPolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("orion");
};

TEST_F(OrionPolicyTest, LsArrivingWhileBeHoldsEverySmLaunchesAtOnceAboveIt) {
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3)}));
}

TEST_F(OrionPolicyTest, BesideMemoryBoundLsOnlyComputeBoundBeThatFits) {
  // LS runs a memory-bound kernel on 40 SMs: 92 SMs left.
  const TenantView running_ls = Running(ls, ls_memory, 0, All(), 3);
  EXPECT_EQ(policy->Decide(View({running_ls, Ready(be, be_small_compute)})),
            (Decisions{D::Launch(kBe, All(), 0)}));
  EXPECT_EQ(policy->Decide(View({running_ls, Ready(be, be_small_memory)})), (Decisions{D::Hold(kBe)}))
      << "both memory-bound: they contend";
  EXPECT_EQ(policy->Decide(View({running_ls, Ready(be, be_compute)})), (Decisions{D::Hold(kBe)}))
      << "needs every SM: above the threshold";
}

TEST_F(OrionPolicyTest, BesideComputeBoundLsOnlyMemoryBoundBe) {
  const TenantView running_ls = Running(ls, ls_compute, 0, All(), 3);
  EXPECT_EQ(policy->Decide(View({running_ls, Ready(be, be_small_memory)})),
            (Decisions{D::Launch(kBe, All(), 0)}));
  EXPECT_EQ(policy->Decide(View({running_ls, Ready(be, be_small_compute)})), (Decisions{D::Hold(kBe)}));
}

TEST_F(OrionPolicyTest, BetweenLsKernelsTheNextLsKernelDecides) {
  // LS is between kernels: it launches, and BE is judged against the kernel LS launches next.
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory, 1), Ready(be, be_small_compute)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3), D::Launch(kBe, All(), 0)}));
}

TEST_F(OrionPolicyTest, TwoLsTenantsBeMustContendWithNeither) {
  const Decisions d = policy->Decide(
      View({Running(ls, ls_memory, 0, All(), 3), Ready(be, be_small_compute), Ready(ls2, ls_compute)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kBe), D::Launch(kLs2, All(), 4)}));
}

TEST_F(OrionPolicyTest, OneBeKernelAtATimeBesideLs) {
  const Decisions d = policy->Decide(
      View({Running(ls, ls_memory, 0, All(), 3), Ready(be, be_small_compute), Ready(be2, be_small_compute)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, All(), 0), D::Hold(kBe2)}));
}

TEST_F(OrionPolicyTest, AConfiguredThresholdReplacesWhatLsLeaves) {
  PolicyOptions options;
  options.orion_sm_threshold = 16;
  const Decisions d = Policy("orion", options)
                          ->Decide(View({Running(ls, ls_memory, 0, All(), 3), Ready(be, be_small_compute)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kBe)})) << "32 SMs needed, 16 allowed";
}

TEST_F(OrionPolicyTest, BeRunsFreelyWhileLsIsIdle) {
  const Decisions d = policy->Decide(View({Idle(ls), Ready(be, be_memory), Ready(be2, be_compute)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, All(), 0), D::Launch(kBe2, All(), 0)}));
}

}  // namespace
}  // namespace missile::sched::testing
