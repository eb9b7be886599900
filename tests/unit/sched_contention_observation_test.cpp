// ObserveContention: what a paced run of BE beside LS says about BE's effect while it runs.
#include <gtest/gtest.h>

#include "sched/contention_observation.h"
#include "sched/missile_policy.h"

namespace missile::sched {
namespace {

TEST(ContentionObservationTest, AnUnpacedRunIsTheEffectWhileBeRuns) {
  // BE alone 848 us, beside LS 2459 us back to back; LS 1.30x.
  auto observed = ObserveContention({1, 1.30, 848, 2459, 0});
  ASSERT_TRUE(observed.ok()) << observed.status().ToString();
  EXPECT_EQ(observed->be_groups, 1);
  EXPECT_NEAR(observed->be_stretch, 2459.0 / 848, 1e-12);
  EXPECT_NEAR(observed->ls_slowdown_while_running, 1.30, 1e-12);
}

TEST(ContentionObservationTest, APacedRunIsScaledByItsDutyCycle) {
  // BE ran 2000 us of every 8000 (a 6000-us pause), LS at 1/1.25 of its speed meanwhile: 7600 us of LS work
  // per 8000 us, 1.0526x over the run, is 1.25x while BE ran.
  auto observed = ObserveContention({3, 8000.0 / 7600.0, 1000, 8000, 6000});
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->be_groups, 3);
  EXPECT_NEAR(observed->be_stretch, 2.0, 1e-12);
  EXPECT_NEAR(observed->ls_slowdown_while_running, 1.25, 1e-12);
}

TEST(ContentionObservationTest, ThePaceComputedFromAnObservationMeetsTheBudget) {
  // Observed, then paced to 5% by the policy's own formula: the run that predicts is 1.05x exactly.
  auto observed = ObserveContention({1, 1.063, 849, 849 * 2.86 + 6227, 6227});
  ASSERT_TRUE(observed.ok());
  const double d = 849 * observed->be_stretch;
  const double s = observed->ls_slowdown_while_running;
  const double p = MissilePolicy::PaceUs(d, s, 0.05);
  EXPECT_NEAR((d + p) / (d / s + p), 1.05, 1e-9);
}

TEST(ContentionObservationTest, MoreThanThePauseCanExplainReadsAsTheCeiling) {
  // 1.5x over a run in which BE ran a tenth of the time: LS would have had to stall while BE ran.
  auto observed = ObserveContention({1, 1.5, 100, 1000, 900});
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->ls_slowdown_while_running, 100.0);
}

TEST(ContentionObservationTest, NoiseBelowOneReadsAsNoEffect) {
  auto observed = ObserveContention({1, 0.99, 1000, 900, 0});
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->be_stretch, 1.0);
  EXPECT_EQ(observed->ls_slowdown_while_running, 1.0);
}

TEST(ContentionObservationTest, RunsThatCannotSayAreRefused) {
  EXPECT_EQ(ObserveContention({1, 1.1, 1000, 5000, 5000}).status().code(), ErrorCode::kInvalidArgument)
      << "no time left for the kernel";
  EXPECT_EQ(ObserveContention({0, 1.1, 1000, 5000, 0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ObserveContention({1, 1.1, 0, 5000, 0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ObserveContention({1, 1.1, 1000, 5000, -1}).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::sched
