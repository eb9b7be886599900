// temporal: one request at a time on the whole GPU, LS requests first between requests.
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class TemporalPolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("temporal");
};

TEST_F(TemporalPolicyTest, LsArrivingWhileBeHoldsTheGpuWaitsForTheBeRequest) {
  // BE's request is in progress (kernel 0 running on every SM); LS's request arrives.
  Decisions d = policy->Decide(View({Ready(ls, ls_memory, 0, 5), Running(be, be_memory, 0, All(), 0, 1)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kLs)}));
  // Between BE's kernels the request still owns the GPU.
  d = policy->Decide(View({Ready(ls, ls_memory, 0, 5), Ready(be, be_memory, 1, 1)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kLs), D::Launch(kBe, All(), 0)}));
}

TEST_F(TemporalPolicyTest, BetweenRequestsLsGoesFirstWhateverArrivedEarlier) {
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory, 0, 5), Ready(be, be_memory, 0, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3), D::Hold(kBe)}));
}

TEST_F(TemporalPolicyTest, MemoryOrComputeBoundDoesNotChangeAnything) {
  for (const auto* kernels : {&ls_memory, &ls_compute}) {
    const Decisions d = policy->Decide(View({Ready(ls, *kernels, 0, 5), Ready(be, be_compute, 0, 1)}));
    EXPECT_EQ(d, (Decisions{D::Launch(kLs, All(), 3), D::Hold(kBe)}));
  }
}

TEST_F(TemporalPolicyTest, TwoLsTenantsByPriorityThenArrival) {
  // ls2 has the higher tenant priority: it goes first although it arrived later, at a higher stream priority.
  Decisions d = policy->Decide(View({Ready(ls, ls_memory, 0, 2), Ready(ls2, ls_compute, 0, 7)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kLs), D::Launch(kLs2, All(), 4)}));
  // Equal priorities: arrival order.
  TenantSpec same = ls2;
  same.priority = 0;
  d = policy->Decide(View({Ready(ls, ls_memory, 0, 9), Ready(same, ls_compute, 0, 7)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kLs), D::Launch(kLs2, All(), 3)}));
  // Once ls's request started, ls2 waits for it.
  d = policy->Decide(View({Running(ls, ls_memory, 0, All(), 3, 2), Ready(ls2, ls_compute, 0, 7)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kLs2)}));
}

TEST_F(TemporalPolicyTest, BeRunsWhileLsIsIdle) {
  const Decisions d = policy->Decide(View({Idle(ls), Ready(be, be_memory, 0, 1)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, All(), 0)}));
}

}  // namespace
}  // namespace missile::sched::testing
