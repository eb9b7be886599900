// shared and priority: everyone launches at once on the whole GPU; priority puts LS streams on top.
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class SharedPolicyTest : public ::testing::Test, protected PolicyScenarios {};

TEST_F(SharedPolicyTest, LsLaunchesBesideBeAtTheSamePriority) {
  const auto policy = Policy("shared");
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 0)}));
}

TEST_F(SharedPolicyTest, EveryReadyTenantLaunchesWhateverItsKernels) {
  const auto policy = Policy("shared");
  for (const auto* ls_kernels : {&ls_memory, &ls_compute}) {
    const Decisions d = policy->Decide(
        View({Ready(ls, *ls_kernels), Ready(be, be_memory), Ready(ls2, ls_compute), Ready(be2, be_compute)}));
    EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 0), D::Launch(kBe, All(), 0), D::Launch(kLs2, All(), 0),
                            D::Launch(kBe2, All(), 0)}));
  }
}

TEST_F(SharedPolicyTest, BeRunsWhileLsIsIdle) {
  const Decisions d = Policy("shared")->Decide(View({Idle(ls), Ready(be, be_memory)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, All(), 0)}));
}

class PriorityPolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("priority");
};

TEST_F(PriorityPolicyTest, LsArrivingWhileBeHoldsEverySmLaunchesAboveIt) {
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, All(), 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3)}));
}

TEST_F(PriorityPolicyTest, MemoryBoundLsKernelsChangeNothing) {
  for (const auto* ls_kernels : {&ls_memory, &ls_compute}) {
    const Decisions d = policy->Decide(View({Ready(ls, *ls_kernels), Ready(be, be_memory)}));
    EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3), D::Launch(kBe, All(), 0)}));
  }
}

TEST_F(PriorityPolicyTest, TwoLsTenantsGetStreamPrioritiesByTenantPriority) {
  const Decisions d =
      policy->Decide(View({Ready(ls, ls_memory), Ready(ls2, ls_compute), Ready(be, be_compute)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3), D::Launch(kLs2, All(), 4), D::Launch(kBe, All(), 0)}));
}

TEST_F(PriorityPolicyTest, BeRunsWhileLsIsIdle) {
  const Decisions d = policy->Decide(View({Idle(ls), Ready(be, be_memory)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, All(), 0)}));
}

}  // namespace
}  // namespace missile::sched::testing
