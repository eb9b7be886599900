// Matching a profile to a backend's plan: extra steps get placeholders, a foreign profile is refused.
#include "sched/profile_alignment.h"
#include "sched_test_support.h"

namespace missile::sched::testing {
namespace {

TEST(ProfileAlignmentTest, StepsTheProfileLacksGetPlaceholdersInPlace) {
  auto model = MakeModel("m", {MakeKernel("conv", 10, 100, 0.2), MakeKernel("fc", 5, 10, 0.8)});
  auto aligned = AlignProfileToSteps(*model, {"cast_in", "conv", "fc", "cast_out"}, 3.0);
  ASSERT_TRUE(aligned.ok()) << aligned.status().ToString();
  const std::vector<KernelProfile>& k = aligned->profile.kernels;
  ASSERT_EQ(k.size(), 4u);
  EXPECT_EQ(k[0].name, "cast_in");
  EXPECT_EQ(k[0].op, "unprofiled");
  EXPECT_EQ(k[0].duration_us, std::vector<double>(17, 3.0));
  EXPECT_EQ(k[0].memory_intensity, 0.0);
  EXPECT_EQ(k[1].name, "conv");
  EXPECT_EQ(k[1].duration_us, model->kernels[0].duration_us);
  EXPECT_EQ(k[2].memory_intensity, 0.8);
  EXPECT_EQ(k[3].name, "cast_out");
  EXPECT_EQ(aligned->placeholders, (std::vector<std::string>{"cast_in", "cast_out"}));
  EXPECT_EQ(aligned->profile.model, "m");
}

TEST(ProfileAlignmentTest, AnExactMatchIsTheProfileItself) {
  auto model = MakeModel("m", {MakeKernel("a", 10, 100, 0.2), MakeKernel("b", 5, 10, 0.8)});
  auto aligned = AlignProfileToSteps(*model, {"a", "b"});
  ASSERT_TRUE(aligned.ok());
  EXPECT_TRUE(aligned->placeholders.empty());
  EXPECT_EQ(aligned->profile.kernels.size(), 2u);
}

TEST(ProfileAlignmentTest, AProfileOfAnotherModelIsRefused) {
  auto model = MakeModel("m", {MakeKernel("a", 10, 100, 0.2), MakeKernel("b", 5, 10, 0.8)});
  auto swapped = AlignProfileToSteps(*model, {"b", "a"});
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("does not fit this plan"), std::string::npos);
  EXPECT_FALSE(AlignProfileToSteps(*model, {"a"}).ok());
  EXPECT_FALSE(AlignProfileToSteps(*model, {"a", "b"}, 0).ok());
}

}  // namespace
}  // namespace missile::sched::testing
