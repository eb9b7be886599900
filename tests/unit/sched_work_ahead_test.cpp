// Where a tenant is in its head request: a segment in flight (an LS request replayed as one CUDA graph) is
// followed through its kernels by the time since its launch.
#include "sched/work_ahead.h"
#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

class WorkAheadTest : public ::testing::Test, protected PolicyScenarios {
 protected:
  // 10, 20 and 30 us on the whole GPU, 132 blocks each: 10.645 us etc. on [1, 17) (124 SMs).
  std::vector<KernelProfile> kernels{MakeKernel("a", 10, 132, 0.0), MakeKernel("b", 20, 132, 1.0),
                                     MakeKernel("c", 30, 132, 0.0)};

  TenantView Segment(double elapsed_us, size_t steps, double pace_us = 0) const {
    TenantView t = Running(ls, kernels, 0, All(), 3);
    t.running->steps = steps;
    t.running->elapsed_us = elapsed_us;
    t.running->pace_us = pace_us;
    return t;
  }
};

TEST_F(WorkAheadTest, AReadyTenantHasItsWholeRequestAhead) {
  const WorkAhead ahead = EstimateWorkAhead(Ready(ls, kernels), layout);
  EXPECT_EQ(ahead.kernels.size(), 3u);
  EXPECT_EQ(ahead.first_left, 1.0);
  EXPECT_NEAR(ahead.DurationUs(layout, 132), 60, 1e-9);
}

TEST_F(WorkAheadTest, ASegmentIsFollowedByTheTimeSinceItsLaunch) {
  WorkAhead ahead = EstimateWorkAhead(Segment(0, 3), layout);
  EXPECT_EQ(ahead.kernels.data(), &kernels[0]);
  ahead = EstimateWorkAhead(Segment(15, 3), layout);  // 10 us into b
  EXPECT_EQ(ahead.kernels.data(), &kernels[1]);
  EXPECT_NEAR(ahead.first_left, 0.75, 1e-9);
  EXPECT_NEAR(ahead.DurationUs(layout, 132), 15 + 30, 1e-9);
  // The partition's SMs set the pace: on [1, 17), a takes 10.645 us.
  TenantView narrow = Segment(10.5, 3);
  narrow.running->partition = {1, 17};
  EXPECT_EQ(EstimateWorkAhead(narrow, layout).kernels.data(), &kernels[0]);
}

TEST_F(WorkAheadTest, APacedLaunchStartsAfterItsPause) {
  EXPECT_EQ(EstimateWorkAhead(Segment(15, 3, /*pace_us=*/10), layout).kernels.data(), &kernels[0]);
  EXPECT_EQ(EstimateWorkAhead(Segment(25, 3, /*pace_us=*/10), layout).kernels.data(), &kernels[1]);
}

TEST_F(WorkAheadTest, ALaunchSlowerThanItsProfileEndsOnItsLastKernel) {
  // A launch of a and b, 100 us in: b is taken as finishing; c (not launched yet) is still ahead.
  const WorkAhead ahead = EstimateWorkAhead(Segment(100, 2), layout);
  EXPECT_EQ(ahead.kernels.data(), &kernels[1]);
  EXPECT_EQ(ahead.first_left, 0.0);
  EXPECT_NEAR(ahead.DurationUs(layout, 132), 30, 1e-9);
}

}  // namespace
}  // namespace missile::sched::testing
