#include <gtest/gtest.h>

#include "sched/kernel_profile.h"
#include "sched/sm_layout.h"

namespace missile::sched {
namespace {

TEST(GpuLayoutTest, TheH200RegardlessOfGpcsIsSixteenGroupsOfEightAndOneOfFour) {
  const GpuLayout layout = GpuLayout::H200();
  EXPECT_EQ(layout.groups(), 17);
  EXPECT_EQ(layout.SmsInGroup(0), 8);
  EXPECT_EQ(layout.SmsInGroup(16), 4);
  EXPECT_EQ(layout.SmsIn({15, 17}), 12);
  EXPECT_EQ(layout.SmsIn(layout.all()), 132);
  EXPECT_EQ(layout.ToString(), "132 SMs: 16 groups of 8 + 1 of 4");
}

TEST(GpuLayoutTest, TheH200ByGpcIsFourteenGroupsOfEightAndOneOfTwenty) {
  const GpuLayout layout = GpuLayout::H200ByGpc();
  ASSERT_TRUE(layout.valid());
  EXPECT_EQ(layout.groups(), 15);
  EXPECT_EQ(layout.SmsInGroup(13), 8);
  EXPECT_EQ(layout.SmsInGroup(14), 20);
  EXPECT_EQ(layout.SmsInGroup(15), 0);
  EXPECT_EQ(layout.SmsInFirst(14), 112);
  EXPECT_EQ(layout.SmsInFirst(15), 132);
  EXPECT_EQ(layout.SmsIn({1, 15}), 124);
  EXPECT_EQ(layout.SmsIn({3, 5}), 16);
  EXPECT_EQ(layout.ToString(), "132 SMs: 14 groups of 8 + 1 of 20");
  EXPECT_FALSE(layout == GpuLayout::H200());
}

TEST(GpuLayoutTest, AGroupCountThatLeavesTheLastGroupEmptyIsInvalid) {
  EXPECT_FALSE((GpuLayout{132, 8, 18}).valid());
  EXPECT_TRUE((GpuLayout{132, 8, 17}).valid());
  EXPECT_TRUE((GpuLayout{132, 8, 17}) == GpuLayout::H200());
}

TEST(ResampleProfileTest, DurationsFollowTheNewPartitionSizes) {
  ModelProfile profile;
  profile.model = "m";
  profile.layout = GpuLayout::H200();
  KernelProfile kernel;
  kernel.name = "k";
  // Perfect scaling: 1056 us on 8 SMs, 8448 / SMs us on the others (64 us on 132).
  for (int g = 1; g <= profile.layout.groups(); ++g) {
    kernel.duration_us.push_back(8448.0 / profile.layout.SmsInFirst(g));
  }
  profile.kernels.push_back(kernel);
  auto resampled = ResampleProfile(profile, GpuLayout::H200ByGpc());
  ASSERT_TRUE(resampled.ok()) << resampled.status().ToString();
  ASSERT_EQ(resampled->kernels[0].duration_us.size(), 15u);
  EXPECT_DOUBLE_EQ(resampled->kernels[0].duration_us[0], 1056.0);
  EXPECT_NEAR(resampled->kernels[0].duration_us[13], 8448.0 / 112, 1e-9);
  EXPECT_NEAR(resampled->kernels[0].duration_us[14], 64.0, 1e-9);
  EXPECT_TRUE(resampled->Validate().ok());
  EXPECT_FALSE(ResampleProfile(profile, GpuLayout{64, 8}).ok());
}

TEST(ResampleProfileTest, AResampledProfileRoundTripsThroughJson) {
  ModelProfile profile;
  profile.model = "m";
  profile.layout = GpuLayout::H200ByGpc();
  KernelProfile kernel;
  kernel.name = "k";
  kernel.duration_us.assign(15, 10.0);
  profile.kernels.push_back(kernel);
  auto parsed = ParseModelProfile(SerializeModelProfile(profile));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->layout.groups(), 15);
  EXPECT_EQ(parsed->layout.SmsInGroup(14), 20);
}

}  // namespace
}  // namespace missile::sched
