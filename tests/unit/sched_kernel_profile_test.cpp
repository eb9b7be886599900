// Kernel profiles: durations between partition sizes, JSON round trip and validation, and the checked-in
// synthesized profiles.
#include <gtest/gtest.h>

#include <cmath>

#include "checked_in_data.h"
#include "sched/kernel_profile.h"
#include "sched/profile_synthesizer.h"
#include "sched_test_support.h"

namespace missile::sched {
namespace {

using testing::MakeKernel;
using testing::MakeModel;

const GpuLayout kH200 = GpuLayout::H200();

TEST(GpuLayoutTest, H200GroupsAreSixteenOfEightAndOneOfFour) {
  EXPECT_EQ(kH200.groups(), 17);
  EXPECT_EQ(kH200.SmsInGroup(0), 8);
  EXPECT_EQ(kH200.SmsInGroup(16), 4);
  EXPECT_EQ(kH200.SmsInFirst(16), 128);
  EXPECT_EQ(kH200.SmsInFirst(17), 132);
  EXPECT_EQ(kH200.SmsIn({1, 17}), 124);
  EXPECT_EQ(kH200.SmsIn({3, 3}), 0);
  EXPECT_TRUE((GroupRange{0, 4}).Overlaps({3, 17}));
  EXPECT_FALSE((GroupRange{0, 4}).Overlaps({4, 17}));
}

TEST(KernelProfileTest, DurationIsExactAtPartitionSizesAndInterpolatedBetween) {
  const KernelProfile k = MakeKernel("k", 10, 10000, 0.5);  // scales linearly: 8 SMs -> 165 us
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 132), 10);
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 8), 10 * 132.0 / 8);
  EXPECT_NEAR(k.DurationUs(kH200, 12), 10 * 132.0 / 12, 1e-9);  // rate is linear in SMs here
  EXPECT_NEAR(k.DurationUs(kH200, 4), 10 * 132.0 / 4, 1e-9);    // below one group: in proportion
  EXPECT_TRUE(std::isinf(k.DurationUs(kH200, 0)));
  EXPECT_NEAR(k.DurationUs(kH200, 124), 10 * 132.0 / 124, 1e-9);
}

TEST(KernelProfileTest, AKernelDoesNotSpeedUpPastItsBlocks) {
  const KernelProfile k = MakeKernel("k", 10, 20, 0.5);
  EXPECT_EQ(k.UsefulSms(kH200), 20);
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 132), 10);
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 24), 10);
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 20), 10);
  EXPECT_DOUBLE_EQ(k.DurationUs(kH200, 10), 20);
  EXPECT_DOUBLE_EQ(k.BlockTimeUs(kH200, 132), 10);  // one wave
  EXPECT_DOUBLE_EQ(k.BlockTimeUs(kH200, 10), 10);   // two waves of 10
}

TEST(KernelProfileTest, JsonRoundTrip) {
  auto model = MakeModel("net", {MakeKernel("a", 3, 100, 0.25), MakeKernel("b", 7, 5000, 0.9)}, 4);
  model->input_bytes = 1234;
  model->output_bytes = 56;
  model->notes = {"a note"};
  auto parsed = ParseModelProfile(SerializeModelProfile(*model));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->model, "net");
  EXPECT_EQ(parsed->batch, 4);
  EXPECT_EQ(parsed->layout.sms, 132);
  EXPECT_EQ(parsed->input_bytes, 1234);
  EXPECT_EQ(parsed->notes, model->notes);
  ASSERT_EQ(parsed->kernels.size(), 2u);
  EXPECT_EQ(parsed->kernels[1].name, "b");
  EXPECT_EQ(parsed->kernels[1].blocks, 5000);
  EXPECT_EQ(parsed->kernels[1].duration_us, model->kernels[1].duration_us);
  EXPECT_DOUBLE_EQ(parsed->kernels[1].memory_intensity, 0.9);
  EXPECT_TRUE(parsed->kernels[1].memory_bound);
  EXPECT_DOUBLE_EQ(parsed->TotalDurationUs(17), 10);
}

TEST(KernelProfileTest, MalformedProfilesAreRefusedWithTheReason) {
  auto model = MakeModel("net", {MakeKernel("a", 3, 100, 0.25)});
  std::string text = SerializeModelProfile(*model);
  EXPECT_NE(ParseModelProfile("{").status().message().find("not valid JSON"), std::string::npos);
  std::string wrong_format = text;
  wrong_format.replace(wrong_format.find("missile-kernel-profile/1"), 24, "other/2");
  EXPECT_NE(ParseModelProfile(wrong_format).status().message().find("format 'other/2'"), std::string::npos);
  model->kernels[0].duration_us.pop_back();
  EXPECT_NE(
      ParseModelProfile(SerializeModelProfile(*model)).status().message().find("16 durations, expected one"),
      std::string::npos);
  model = MakeModel("net", {MakeKernel("a", 3, 100, 1.5)});
  EXPECT_NE(ParseModelProfile(SerializeModelProfile(*model)).status().message().find("memory_intensity"),
            std::string::npos);
  EXPECT_EQ(LoadModelProfile("/nonexistent/p.json").status().code(), ErrorCode::kNotFound);
}

// The profiles checked into data/profiles, made by `missile profile --synthesize` from the exported models.
class CheckedInProfileTest
    : public ::testing::TestWithParam<std::tuple<const char*, const char*, int, size_t>> {};

TEST_P(CheckedInProfileTest, LoadsAndSaysWhereItsNumbersComeFrom) {
  const auto [file, model, batch, kernels] = GetParam();
  auto profile = LoadModelProfile(test_data::CheckedInPath(std::string("data/profiles/") + file));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(profile->model, model);
  EXPECT_EQ(profile->batch, batch);
  EXPECT_EQ(profile->precision, "fp16");
  EXPECT_EQ(profile->source, kSynthesizedSource);
  EXPECT_EQ(profile->layout.groups(), 17);
  EXPECT_EQ(profile->kernels.size(), kernels);
  EXPECT_DOUBLE_EQ(profile->input_bytes, batch * 3 * 224 * 224 * 2.0);
  // Durations never grow with more SMs.
  for (const KernelProfile& k : profile->kernels) {
    for (size_t g = 1; g < k.duration_us.size(); ++g)
      EXPECT_LE(k.duration_us[g], k.duration_us[g - 1]) << k.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, CheckedInProfileTest,
    ::testing::Values(std::make_tuple("resnet50-bs1-fp16.json", "resnet50", 1, size_t{56}),
                      std::make_tuple("resnet152-bs32-fp16.json", "resnet152", 32, size_t{158})));

}  // namespace
}  // namespace missile::sched
