// The roofline stand-in for measured profiles: work from shapes, blocks, SM scaling, memory-boundness.
#include <gtest/gtest.h>

#include "runtime/cpu_executable.h"
#include "runtime/session.h"
#include "sched/kernel_workload.h"
#include "sched/profile_synthesizer.h"
#include "sched/roofline.h"
#include "sched_test_support.h"

namespace missile::sched {
namespace {

const GpuLayout kH200 = GpuLayout::H200();

KernelWorkload Gemm(int64_t m, int64_t n, int64_t k, double bytes) {
  KernelWorkload w;
  w.op = "Gemm";
  w.tensor_core = true;
  w.gemm_batch = 1;
  w.gemm_m = m;
  w.gemm_n = n;
  w.gemm_k = k;
  w.flops = 2.0 * m * n * k;
  w.bytes = bytes;
  w.output_elements = m * n;
  return w;
}

TEST(RooflineTest, BigGemmIsComputeBoundAndScalesWithSms) {
  const RooflineAssumptions a = RooflineAssumptions::H200(2);
  const KernelTiming t =
      TimeKernel(Gemm(8192, 8192, 8192, 3 * 8192.0 * 8192 * 2), kH200, ContentionModel::H200(), a);
  EXPECT_FALSE(t.memory_bound);
  EXPECT_EQ(t.blocks, 64 * 64);  // 128x128 tiles
  // Each 128x128 tile (K = 8192) takes one SM 2*128*128*8192 / (400 TFLOP/s / 132); 4096 tiles are 32 waves
  // on the whole GPU, 512 on 8 SMs.
  const double tile_us = 2.0 * 128 * 128 * 8192 / (400e6 / 132);
  EXPECT_NEAR(t.duration_us.back(), a.kernel_overhead_us + 32 * tile_us, 1e-6);
  EXPECT_NEAR(t.duration_us[0], a.kernel_overhead_us + 512 * tile_us, 1e-6);
  for (size_t g = 1; g < t.duration_us.size(); ++g) EXPECT_LE(t.duration_us[g], t.duration_us[g - 1]);
}

TEST(RooflineTest, AKernelWithFewBlocksStopsSpeedingUpAtItsBlockCount) {
  // 64 x 4096 output: 64x64 tiles give 64 blocks; K = 64 is too shallow to split.
  const KernelTiming t =
      TimeKernel(Gemm(64, 4096, 64, 0), kH200, ContentionModel::H200(), RooflineAssumptions::H200(2));
  EXPECT_EQ(t.blocks, 64);
  EXPECT_DOUBLE_EQ(t.duration_us[7], t.duration_us[16]);  // 64 SMs = as fast as 132
  EXPECT_GT(t.duration_us[6], t.duration_us[7]);          // 56 SMs: two waves
}

TEST(RooflineTest, SmallOutputsSplitTheReduction) {
  // 49 x 512 output, K = 4608 (ResNet-50's last 3x3 convolution at batch 1): 8 tiles, split 16 ways.
  const KernelTiming t =
      TimeKernel(Gemm(49, 512, 4608, 0), kH200, ContentionModel::H200(), RooflineAssumptions::H200(2));
  EXPECT_EQ(t.blocks, 8 * 16);
  EXPECT_GT(t.bytes, 0) << "the split's partial sums cross DRAM";
}

TEST(RooflineTest, ElementwiseKernelsAreMemoryBoundAtTheMeasuredBandwidth) {
  KernelWorkload add;
  add.op = "Add";
  add.output_elements = 1 << 24;
  add.flops = add.output_elements;
  add.bytes = 3.0 * add.output_elements * 2;  // two fp16 inputs, one output
  const KernelTiming t = TimeKernel(add, kH200, ContentionModel::H200(), RooflineAssumptions::H200(2));
  EXPECT_TRUE(t.memory_bound);
  EXPECT_EQ(t.blocks, (1 << 24) / 2048);
  EXPECT_NEAR(t.duration_us.back() - 2.5, add.bytes / 4490e3, 1e-9);
  EXPECT_NEAR(t.duration_us[0] - 2.5, add.bytes / 647e3, 1e-9);  // 8 SMs stream 647 GB/s
  EXPECT_GT(t.memory_intensity, 0.85);                           // the per-kernel overhead moves no bytes
}

// x[1,3,16,16] -> conv 3x3 (8) + relu -> conv 1x1 (8) -> global pool -> flatten -> gemm (4).
class SmallNetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto session = runtime::Session::FromGraph(testing::SmallConvNet(1));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = std::move(session).value();
    runtime::NamedTensors inputs;
    inputs.emplace("x", Tensor(DataType::kFloat32, {1, 3, 16, 16}));
    auto executable = session_->Prepare(inputs);
    ASSERT_TRUE(executable.ok()) << executable.status().ToString();
    executable_ = dynamic_cast<runtime::CpuExecutable*>(*executable);
  }
  std::unique_ptr<runtime::Session> session_;
  runtime::CpuExecutable* executable_ = nullptr;
};

TEST_F(SmallNetTest, WorkloadOfAConvolutionFromItsShapes) {
  const graph::Graph& g = executable_->graph();
  const graph::Node& conv = g.nodes()[static_cast<size_t>(executable_->plan().steps()[0].node)];
  ASSERT_EQ(conv.op_type, "Conv");
  auto fp16 = DescribeKernelWork(g, conv, 2);
  ASSERT_TRUE(fp16.ok()) << fp16.status().ToString();
  EXPECT_EQ(fp16->op, "Conv+Relu");
  EXPECT_DOUBLE_EQ(fp16->flops, 2.0 * (16 * 16) * 8 * (3 * 3 * 3));
  EXPECT_TRUE(fp16->tensor_core);
  EXPECT_EQ(fp16->gemm_m, 256);
  EXPECT_EQ(fp16->gemm_n, 8);
  EXPECT_EQ(fp16->gemm_k, 27);
  // input + weights + bias + output, 2 bytes each.
  EXPECT_DOUBLE_EQ(fp16->bytes, 2.0 * (3 * 256 + 8 * 27 + 8 + 8 * 256));
  auto fp32 = DescribeKernelWork(g, conv, 4);
  EXPECT_DOUBLE_EQ(fp32->bytes, 2 * fp16->bytes);
}

TEST_F(SmallNetTest, OneProfiledKernelPerPlanStep) {
  SynthesisOptions options;
  options.model = "small";
  auto profile = SynthesizeProfile(executable_->graph(), executable_->plan(), options);
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  ASSERT_EQ(profile->kernels.size(), executable_->step_count());
  EXPECT_EQ(profile->source, kSynthesizedSource);
  EXPECT_EQ(profile->batch, 1);
  EXPECT_DOUBLE_EQ(profile->input_bytes, 3 * 16 * 16 * 2);
  EXPECT_DOUBLE_EQ(profile->output_bytes, 4 * 2);
  EXPECT_EQ(profile->kernels.back().op, "Gemm");
  for (const KernelProfile& k : profile->kernels) {
    EXPECT_EQ(k.duration_us.size(), 17u);
    EXPECT_GE(k.duration_us.back(), RooflineAssumptions::H200(2).kernel_overhead_us);
  }
  options.precision = "fp8";
  EXPECT_EQ(SynthesizeProfile(executable_->graph(), executable_->plan(), options).status().code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::sched
