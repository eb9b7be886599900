// Measured kernel profiles: medians of the repetitions become the durations, the work is the synthesizer's,
// and memory intensity follows from bytes over the measured duration against the streaming curve.
#include <gtest/gtest.h>

#include "sched/measured_profile.h"
#include "sched_test_support.h"

namespace missile::sched {
namespace {

using testing::MakeKernel;
using testing::MakeModel;

const GpuLayout kH200 = GpuLayout::H200();

// Repetitions on every group count g: `full_us * 132 / sms(g)` with the given spread around it.
std::vector<std::vector<double>> Samples(double full_us, std::vector<double> spread) {
  std::vector<std::vector<double>> samples;
  for (int g = 1; g <= kH200.groups(); ++g) {
    std::vector<double> reps;
    for (double s : spread) reps.push_back(full_us * 132.0 / kH200.SmsInFirst(g) + s);
    samples.push_back(reps);
  }
  return samples;
}

TEST(MedianOfTest, OddEvenAndBadSamples) {
  EXPECT_DOUBLE_EQ(*MedianOf({5, 1, 3}), 3);
  EXPECT_DOUBLE_EQ(*MedianOf({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(*MedianOf({7}), 7);
  EXPECT_EQ(MedianOf({}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MedianOf({1, 0}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MedianOf({1, std::nan("")}).status().code(), ErrorCode::kInvalidArgument);
}

TEST(MeasuredKernelTest, DurationsAreTheMediansAndOutliersDoNotCount) {
  KernelProfile base = MakeKernel("conv", 999, 1000, 0.1);  // synthesized numbers, to be replaced
  base.bytes = 0;
  auto k = MeasuredKernel(base, Samples(10, {0, 0.5, 200, -0.5, 0.1}), kH200, ContentionModel::H200());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  ASSERT_EQ(k->duration_us.size(), 17u);
  EXPECT_NEAR(k->duration_us.back(), 10.1, 1e-9);
  EXPECT_NEAR(k->duration_us[0], 10 * 132.0 / 8 + 0.1, 1e-9);
  EXPECT_EQ(k->blocks, 1000);  // kept
  EXPECT_EQ(k->name, "conv");
  EXPECT_EQ(k->memory_intensity, 0);  // no bytes
  EXPECT_FALSE(k->memory_bound);
}

TEST(MeasuredKernelTest, IntensityIsAchievedBandwidthOverStreamingOfTheOccupiedSms) {
  KernelProfile base = MakeKernel("copy", 1, 132, 0);
  base.blocks = 0;  // unknown: occupies the whole GPU
  // 4490 GB/s is the whole GPU's streaming bandwidth: 2245 GB/s achieved is intensity 0.5.
  base.bytes = 2245e3 * 100;  // bytes moved in 100 us at 2245 GB/s (1 GB/s = 1e3 bytes/us)
  auto half = MeasuredKernel(base, Samples(100, {0}), kH200, ContentionModel::H200());
  ASSERT_TRUE(half.ok());
  EXPECT_NEAR(half->memory_intensity, 0.5, 1e-4);
  EXPECT_TRUE(half->memory_bound);

  // The same bytes from a kernel of 8 blocks: it occupies 8 SMs, which stream 647 GB/s; it cannot beat
  // that, so the intensity saturates at 1.
  base.blocks = 8;
  auto narrow = MeasuredKernel(base, Samples(100, {0}), kH200, ContentionModel::H200());
  ASSERT_TRUE(narrow.ok());
  EXPECT_DOUBLE_EQ(narrow->memory_intensity, 1.0);

  // Four times slower on the whole GPU: a quarter of the bandwidth, compute-bound by the threshold.
  base.blocks = 0;
  auto slow = MeasuredKernel(base, Samples(400, {0}), kH200, ContentionModel::H200());
  ASSERT_TRUE(slow.ok());
  EXPECT_NEAR(slow->memory_intensity, 0.125, 1e-4);
  EXPECT_FALSE(slow->memory_bound);
}

TEST(MeasuredKernelTest, MissingOrBadTimingsAreErrors) {
  const KernelProfile base = MakeKernel("k", 1, 100, 0);
  auto samples = Samples(10, {0, 1});
  samples.pop_back();
  EXPECT_EQ(MeasuredKernel(base, samples, kH200, ContentionModel::H200()).status().code(),
            ErrorCode::kInvalidArgument);
  samples = Samples(10, {0, 1});
  samples[3].clear();
  const Status empty = MeasuredKernel(base, samples, kH200, ContentionModel::H200()).status();
  EXPECT_EQ(empty.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("on 4 groups"), std::string::npos) << empty.message();
}

TEST(MeasuredProfileTest, KeepsThePlanAndSaysItWasMeasured) {
  auto base = MakeModel("net", {MakeKernel("a", 3, 100, 0.25), MakeKernel("b", 7, 5000, 0.9)}, 32);
  base->source = "synthesized-roofline";
  base->input_bytes = 1234;
  base->notes = {"roofline assumptions"};
  auto measured = MeasuredProfile(*base, {Samples(5, {0, 1, 2}), Samples(20, {0})}, "NVIDIA H200",
                                  {"measured on the H200"});
  ASSERT_TRUE(measured.ok()) << measured.status().ToString();
  EXPECT_EQ(measured->source, "measured");
  EXPECT_EQ(measured->device, "NVIDIA H200");
  EXPECT_EQ(measured->notes, std::vector<std::string>{"measured on the H200"});
  EXPECT_EQ(measured->batch, 32);
  EXPECT_EQ(measured->input_bytes, 1234);
  ASSERT_EQ(measured->kernels.size(), 2u);
  EXPECT_EQ(measured->kernels[1].name, "b");
  EXPECT_NEAR(measured->kernels[0].duration_us.back(), 6, 1e-9);  // median of 5 + {0, 1, 2}
  EXPECT_NEAR(measured->kernels[1].duration_us.back(), 20, 1e-9);
  // A round trip through JSON keeps it.
  auto parsed = ParseModelProfile(SerializeModelProfile(*measured));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->source, "measured");

  EXPECT_EQ(MeasuredProfile(*base, {Samples(5, {0})}, "x", {}).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::sched
