// The contention model reproduces the H200 table of shared/DEVICE.md and grades it by memory intensity.
#include <gtest/gtest.h>

#include "sched/contention.h"
#include "sched/piecewise_linear.h"

namespace missile::sched {
namespace {

TEST(PiecewiseLinearTest, InterpolatesClampsAndExtends) {
  auto clamped = PiecewiseLinear::Create({{0, 0}, {10, 100}, {20, 150}});
  ASSERT_TRUE(clamped.ok());
  EXPECT_DOUBLE_EQ((*clamped)(5), 50);
  EXPECT_DOUBLE_EQ((*clamped)(15), 125);
  EXPECT_DOUBLE_EQ((*clamped)(-3), 0);
  EXPECT_DOUBLE_EQ((*clamped)(30), 150);
  EXPECT_DOUBLE_EQ(clamped->Inverse(125), 15);
  EXPECT_DOUBLE_EQ(clamped->Inverse(500), 20);
  auto extended = PiecewiseLinear::Create({{0, 0}, {10, 100}, {20, 150}}, PiecewiseLinear::Beyond::kExtend);
  EXPECT_DOUBLE_EQ((*extended)(30), 200);
  EXPECT_DOUBLE_EQ(extended->Inverse(200), 30);
}

TEST(PiecewiseLinearTest, RefusesBadPoints) {
  EXPECT_FALSE(PiecewiseLinear::Create({{0, 0}}).ok());
  EXPECT_FALSE(PiecewiseLinear::Create({{0, 0}, {0, 1}}).ok());
  EXPECT_FALSE(PiecewiseLinear::Create({{1, 0}, {0, 1}}).ok());
}

TEST(ContentionModelTest, ReproducesTheMeasuredTable) {
  const ContentionModel& h200 = ContentionModel::H200();
  // BE streaming on 8/16/32/48/64 SMs, LS streaming on the rest (shared/DEVICE.md).
  const std::vector<std::pair<int, double>> table = {
      {8, 1.04}, {16, 1.07}, {32, 1.28}, {48, 1.48}, {64, 1.72}};
  for (const auto& [sms, slowdown] : table) {
    EXPECT_NEAR(h200.Slowdown(1.0, h200.PulledBandwidth(sms, 1.0)), slowdown, 1e-12) << sms << " SMs";
  }
  EXPECT_DOUBLE_EQ(h200.StreamingBandwidth(132), 4490);
  EXPECT_DOUBLE_EQ(h200.PeakBandwidth(), 4490);
}

TEST(ContentionModelTest, ComputeBoundVictimsAndIdleAggressorsSeeNoSlowdown) {
  const ContentionModel& h200 = ContentionModel::H200();
  EXPECT_DOUBLE_EQ(h200.Slowdown(0.0, h200.PulledBandwidth(64, 1.0)), 1.0);
  EXPECT_DOUBLE_EQ(h200.Slowdown(1.0, 0), 1.0);
  EXPECT_DOUBLE_EQ(h200.Slowdown(1.0, h200.PulledBandwidth(64, 0.0)), 1.0);
}

TEST(ContentionModelTest, GradedAndMonotone) {
  const ContentionModel& h200 = ContentionModel::H200();
  // Half as bandwidth-hungry a victim feels half the extra time.
  EXPECT_NEAR(h200.Slowdown(0.5, h200.PulledBandwidth(64, 1.0)), 1.36, 1e-12);
  double previous = 1.0;
  for (int sms = 0; sms <= 132; sms += 4) {
    const double slowdown = h200.Slowdown(1.0, h200.PulledBandwidth(sms, 1.0));
    EXPECT_GE(slowdown, previous) << sms;
    previous = slowdown;
  }
  // Beyond the measured 64 SMs the last segment is extended, capped at the GPU's full bandwidth.
  EXPECT_GT(previous, 1.72);
  EXPECT_NEAR(previous, 1.72 + (1.72 - 1.48) / (3934.0 - 3317.0) * (4490 - 3934), 1e-9);
}

TEST(ContentionModelTest, MaxAggressorBandwidthInvertsTheSlowdown) {
  const ContentionModel& h200 = ContentionModel::H200();
  for (double m : {0.25, 0.5, 1.0}) {
    for (double budget : {1.01, 1.05, 1.2}) {
      const double gbps = h200.MaxAggressorBandwidth(m, budget);
      EXPECT_NEAR(h200.Slowdown(m, gbps), budget, 1e-9) << m << " " << budget;
    }
  }
  EXPECT_DOUBLE_EQ(h200.MaxAggressorBandwidth(0.0, 1.01), h200.PeakBandwidth());
}

TEST(ContentionModelTest, RefusesCurvesThatMakeNoSense) {
  auto falling = PiecewiseLinear::Create({{0, 0}, {8, 600}, {16, 500}});
  auto slowdown = PiecewiseLinear::Create({{0, 1.0}, {600, 1.1}});
  EXPECT_FALSE(ContentionModel::Create(*falling, *slowdown).ok());
  auto rising = PiecewiseLinear::Create({{0, 0}, {8, 600}});
  auto speedup = PiecewiseLinear::Create({{0, 1.0}, {600, 0.9}});
  EXPECT_FALSE(ContentionModel::Create(*rising, *speedup).ok());
}

TEST(ContentionModelTest, FromMeasurementsMakesNoisySaturatingDataMonotone) {
  // A streaming aggressor beside a victim on a fixed partition, as the memory-interference benchmark
  // measures it: bandwidth saturates (4426 < 4464) and a slowdown dips (1.50 after 1.52).
  auto model = ContentionModel::FromMeasurements(
      {{8, 1708}, {16, 3032}, {24, 3642}, {48, 4464}, {56, 4426}, {132, 4480}},
      {{1708, 1.19}, {3032, 1.52}, {3642, 1.50}, {4464, 2.1}, {4426, 2.3}});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_NEAR(model->StreamingBandwidth(8), 1708, 1e-9);
  EXPECT_NEAR(model->StreamingBandwidth(4), 854, 1e-9) << "through (0, 0)";
  EXPECT_NEAR(model->StreamingBandwidth(56), 4464, 1e-9) << "never falls";
  EXPECT_NEAR(model->PeakBandwidth(), 4480, 1e-9);
  EXPECT_NEAR(model->Slowdown(1.0, 1708), 1.19, 1e-9);
  EXPECT_NEAR(model->Slowdown(1.0, 854), 1.095, 1e-9) << "through (0, 1)";
  EXPECT_NEAR(model->Slowdown(1.0, 3642), 1.52, 1e-9) << "never falls";
  EXPECT_NEAR(model->Slowdown(1.0, 4464), 2.3, 1e-9) << "the running maximum";
  EXPECT_NEAR(model->Slowdown(1.0, 4480), 2.3, 1e-9) << "held beyond the last point";
  EXPECT_NEAR(model->Slowdown(0.5, 1708), 1.095, 1e-9);
  EXPECT_FALSE(ContentionModel::FromMeasurements({{8, 1708}}, {{1708, NAN}}).ok());
  EXPECT_FALSE(ContentionModel::FromMeasurements({}, {{1708, 1.19}}).ok()) << "one point is no curve";
}

}  // namespace
}  // namespace missile::sched
