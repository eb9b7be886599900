// static: fixed partitions from the tenants' bounds, never lent out.
#include "sched/static_policy.h"
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

using D = KernelDecision;

class StaticPolicyTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  std::unique_ptr<SchedulingPolicy> policy = Policy("static");
};

TEST_F(StaticPolicyTest, PartitionsFollowTheBounds) {
  // LS takes everything its max allows while BE keeps its min.
  auto parts = StaticPartitions(View({Idle(ls), Idle(be)}));
  EXPECT_EQ(parts.at(kLs), (GroupRange{1, 17}));
  EXPECT_EQ(parts.at(kBe), (GroupRange{0, 1}));
  // LS limited to 8 groups: BE gets the other 9.
  TenantSpec half = ls;
  half.bounds = {0, 8};
  parts = StaticPartitions(View({Idle(half), Idle(be)}));
  EXPECT_EQ(parts.at(kLs), (GroupRange{9, 17}));
  EXPECT_EQ(parts.at(kBe), (GroupRange{0, 9}));
  // Two BE tenants share the rest one group at a time, each its min first.
  parts = StaticPartitions(View({Idle(half), Idle(be), Idle(be2)}));
  EXPECT_EQ(parts.at(kBe), (GroupRange{0, 5}));
  EXPECT_EQ(parts.at(kBe2), (GroupRange{5, 9}));
}

TEST_F(StaticPolicyTest, LsArrivingWhileBeRunsUsesOnlyItsOwnPartition) {
  const Decisions d = policy->Decide(View({Ready(ls, ls_memory), Running(be, be_memory, 0, {0, 1}, 0)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3)}));
}

TEST_F(StaticPolicyTest, MemoryBoundnessDoesNotMoveTheSplit) {
  for (const auto* ls_kernels : {&ls_memory, &ls_compute}) {
    const Decisions d = policy->Decide(View({Ready(ls, *ls_kernels), Ready(be, be_memory)}));
    EXPECT_EQ(d, (Decisions{D::Launch(kLs, {1, 17}, 3), D::Launch(kBe, {0, 1}, 0)}));
  }
}

TEST_F(StaticPolicyTest, TwoLsTenantsStackFromTheTopByPriority) {
  TenantSpec a = ls, b = ls2;
  a.bounds = {0, 4};
  b.bounds = {0, 4};
  const Decisions d =
      policy->Decide(View({Ready(a, ls_memory), Ready(b, ls_compute), Ready(be, be_compute)}));
  // ls2 (priority 1) is placed first, at the top.
  EXPECT_EQ(d,
            (Decisions{D::Launch(kLs, {9, 13}, 3), D::Launch(kLs2, {13, 17}, 4), D::Launch(kBe, {0, 9}, 0)}));
}

TEST_F(StaticPolicyTest, BeKeepsItsPartitionWhileLsIsIdleAndNothingMore) {
  const Decisions d = policy->Decide(View({Idle(ls), Ready(be, be_memory)}));
  EXPECT_EQ(d, (Decisions{D::Launch(kBe, {0, 1}, 0)}));
}

TEST_F(StaticPolicyTest, ATenantLeftWithoutGroupsHolds) {
  TenantSpec no_min = be;
  no_min.bounds = {0, kAllGroups};
  const Decisions d = policy->Decide(View({Idle(ls), Ready(no_min, be_memory)}));
  EXPECT_EQ(d, (Decisions{D::Hold(kBe)}));
}

}  // namespace
}  // namespace missile::sched::testing
