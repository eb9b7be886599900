// The modelled GPU's rules, one at a time: durations from profiles, FIFO among equals, block-granular
// preemption by priority, partitions, DRAM contention, segments of several kernels, paced launches.
#include "sched_test_support.h"
#include "sim/modelled_gpu.h"
#include "sim/sm_pool.h"

namespace missile::sim {
namespace {

using sched::GroupRange;
using sched::KernelLaunch;
using sched::KernelProfile;
using sched::testing::MakeKernel;
using std::chrono::microseconds;

TEST(SmPoolTest, TakesFreeSmsMovesAndReleases) {
  SmPool pool(sched::GpuLayout::H200());
  SmHoldings a = pool.Empty(), b = pool.Empty();
  EXPECT_EQ(pool.TakeFree({15, 17}, 100, a), 12);  // 8 + 4
  EXPECT_EQ(pool.FreeIn({0, 17}), 120);
  EXPECT_EQ(pool.TakeFree({0, 17}, 10, b), 10);  // lowest groups first
  EXPECT_EQ(b[0], 8);
  EXPECT_EQ(b[1], 2);
  EXPECT_EQ(SmPool::Move({16, 17}, 10, a, b), 4);
  EXPECT_EQ(SmPool::Count(a), 8);
  EXPECT_EQ(SmPool::CountIn({0, 2}, b), 10);
  pool.Release(b);
  EXPECT_EQ(pool.FreeIn({0, 17}), 124);
}

// Launches kernels on a modelled H200 and records when each completes.
class ModelledGpuTest : public ::testing::Test, protected sched::KernelListener {
 protected:
  void OnKernelDone(const KernelLaunch& launch, const Status& status) override {
    EXPECT_TRUE(status.ok());
    done_at[launch.tenant] = clock.Now();
  }
  void LaunchAt(Nanos at, sched::TenantId tenant, const KernelProfile& kernel, GroupRange partition,
                int priority, double pace_us = 0) {
    clock.At(at, [=, this, &kernel] {
      KernelLaunch launch;
      launch.tenant = tenant;
      launch.step_count = 1;
      launch.kernel = &kernel;
      launch.partition = partition;
      launch.stream_priority = priority;
      launch.pace_us = pace_us;
      gpu.Launch(launch, *this);
    });
  }
  // A segment: every kernel of `kernels` in one launch.
  void LaunchSegmentAt(Nanos at, sched::TenantId tenant, const std::vector<KernelProfile>& kernels,
                       GroupRange partition, int priority) {
    clock.At(at, [=, this, &kernels] {
      KernelLaunch launch;
      launch.tenant = tenant;
      launch.steps = kernels.size();
      launch.step_count = kernels.size();
      launch.kernel = &kernels[0];
      launch.segment = kernels;
      launch.partition = partition;
      launch.stream_priority = priority;
      gpu.Launch(launch, *this);
    });
  }
  double DoneUs(sched::TenantId tenant) { return static_cast<double>(done_at.at(tenant).count()) / 1e3; }

  pcie::VirtualClock clock;
  ModelledGpu gpu{
      clock, ModelledGpuOptions{sched::GpuLayout::H200(), &sched::ContentionModel::H200(), microseconds(2)}};
  std::map<sched::TenantId, Nanos> done_at;
};

TEST_F(ModelledGpuTest, AKernelAloneTakesItsProfiledDurationAfterTheLaunchLatency) {
  const KernelProfile k = MakeKernel("k", 10, 10000, 0.0);
  LaunchAt(Nanos(0), 0, k, {0, 17}, 0);
  LaunchAt(microseconds(100), 1, k, {0, 4}, 0);  // 32 SMs
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(0), 2 + 10, 1e-3);
  EXPECT_NEAR(DoneUs(1), 100 + 2 + 10 * 132.0 / 32, 1e-3);
  EXPECT_EQ(gpu.stats().kernels, 2u);
  EXPECT_EQ(gpu.in_flight(), 0u);
}

TEST_F(ModelledGpuTest, EqualPrioritiesAreServedInStartOrder) {
  const KernelProfile k = MakeKernel("k", 10, 10000, 0.0);
  LaunchAt(Nanos(0), 0, k, {0, 17}, 0);
  LaunchAt(Nanos(1), 1, k, {0, 17}, 0);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(0), 12, 1e-3);
  EXPECT_NEAR(DoneUs(1), 22, 1e-3) << "the second waits for every SM the first holds";
}

TEST_F(ModelledGpuTest, KernelsThatFitRunSideBySide) {
  const KernelProfile small = MakeKernel("small", 10, 40, 0.0);
  LaunchAt(Nanos(0), 0, small, {0, 17}, 0);
  LaunchAt(Nanos(0), 1, small, {0, 17}, 0);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(0), 12, 1e-3);
  EXPECT_NEAR(DoneUs(1), 12, 1e-3);
}

TEST_F(ModelledGpuTest, HigherPriorityTakesSmsOnceLowerPriorityBlocksDrain) {
  // BE: 10000 blocks, 100 us on the whole GPU: 76 waves of 1.316 us blocks.
  const KernelProfile be = MakeKernel("be", 100, 10000, 0.0);
  const KernelProfile ls = MakeKernel("ls", 10, 132, 0.0);
  LaunchAt(Nanos(0), 0, be, {0, 17}, 0);
  LaunchAt(microseconds(20), 1, ls, {0, 17}, 5);
  clock.RunUntilIdle();
  const double block_us = 100.0 / std::ceil(10000.0 / 132);
  EXPECT_NEAR(DoneUs(1), 20 + 2 + block_us + 10, 1e-2) << "waits one block time for all 132 SMs";
  EXPECT_NEAR(DoneUs(0), 2 + 100 + 10, 1e-2) << "BE lost the GPU for LS's 10 us";
  EXPECT_EQ(gpu.stats().drains, 1u);
  EXPECT_NEAR(gpu.stats().drain_wait.count() / 1e3, block_us, 1e-2);
}

TEST_F(ModelledGpuTest, APartitionKeepsLowerPriorityKernelsOffTheRestOfTheGpu) {
  // BE confined to [0, 8) (64 SMs); LS arrives on [8, 17): free SMs, no wait, no slowdown (compute-bound).
  const KernelProfile be = MakeKernel("be", 100, 10000, 0.0);
  const KernelProfile ls = MakeKernel("ls", 10, 68, 0.0);
  LaunchAt(Nanos(0), 0, be, {0, 8}, 0);
  LaunchAt(microseconds(20), 1, ls, {8, 17}, 5);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(1), 20 + 2 + 10, 1e-3);
  EXPECT_NEAR(DoneUs(0), 2 + 100 * 132.0 / 64, 1e-2);
  EXPECT_EQ(gpu.stats().drains, 0u);
}

TEST_F(ModelledGpuTest, MemoryBoundNeighboursSlowEachOtherAsMeasured) {
  // Both stream DRAM: BE on 64 SMs slows LS on the other 68 by 1.72x (shared/DEVICE.md).
  const KernelProfile be = MakeKernel("be", 1000, 10000, 1.0);
  const KernelProfile ls = MakeKernel("ls", 10, 68, 1.0);
  LaunchAt(Nanos(0), 0, be, {0, 8}, 0);
  LaunchAt(microseconds(20), 1, ls, {8, 17}, 5);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(1), 20 + 2 + 10 * 1.72, 1e-2);
  // A compute-bound LS beside the same BE is not slowed.
  done_at.clear();
  const KernelProfile ls_compute = MakeKernel("lsc", 10, 68, 0.0);
  LaunchAt(clock.Now(), 2, be, {0, 8}, 0);
  LaunchAt(clock.Now() + microseconds(20), 3, ls_compute, {8, 17}, 5);
  const Nanos start = clock.Now();
  clock.RunUntilIdle();
  EXPECT_NEAR((done_at.at(3) - start).count() / 1e3, 20 + 2 + 10, 1e-2);
}

TEST_F(ModelledGpuTest, ASegmentRunsItsKernelsBackToBackAndCompletesOnce) {
  // Three kernels in one launch: one launch latency, then each on the SMs its blocks fill, with no gap.
  const std::vector<KernelProfile> kernels{MakeKernel("a", 10, 10000, 0.0), MakeKernel("b", 5, 40, 0.0),
                                           MakeKernel("c", 20, 10000, 0.0)};
  LaunchSegmentAt(Nanos(0), 0, kernels, {0, 17}, 3);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(0), 2 + 10 + 5 + 20, 1e-3);
  EXPECT_EQ(gpu.stats().kernels, 3u);
  EXPECT_EQ(gpu.in_flight(), 0u);
}

TEST_F(ModelledGpuTest, ASegmentsNextKernelTakesItsSmsBeforeLowerPriorityWork) {
  // LS's segment: a kernel on 40 SMs, then one on all 132. A BE kernel launched meanwhile fills the 92 SMs
  // LS leaves; LS's second kernel then waits one BE block time for them, as a graph's next kernel would.
  const std::vector<KernelProfile> ls{MakeKernel("ls1", 10, 40, 0.0), MakeKernel("ls2", 10, 132, 0.0)};
  const KernelProfile be = MakeKernel("be", 100, 10000, 0.0);
  LaunchSegmentAt(Nanos(0), 0, ls, {0, 17}, 5);
  LaunchAt(Nanos(0), 1, be, {0, 17}, 0);
  clock.RunUntilIdle();
  // ls2 runs on ls1's 40 SMs (33 us for its work there) until BE's blocks leave the other 92.
  const double be_block_us = be.BlockTimeUs(sched::GpuLayout::H200(), 92);
  EXPECT_NEAR(DoneUs(0), 2 + 10 + be_block_us + 10 * (1 - be_block_us / 33), 1e-2);
  EXPECT_EQ(gpu.stats().drains, 1u);
}

TEST_F(ModelledGpuTest, APacedLaunchStartsThatMuchLater) {
  const KernelProfile k = MakeKernel("k", 10, 10000, 0.0);
  LaunchAt(Nanos(0), 0, k, {0, 17}, 0, /*pace_us=*/30);
  clock.RunUntilIdle();
  EXPECT_NEAR(DoneUs(0), 30 + 2 + 10, 1e-3);
}

TEST_F(ModelledGpuTest, ASegmentWithoutItsProfilesFailsThroughTheListener) {
  struct Recorder final : sched::KernelListener {
    void OnKernelDone(const KernelLaunch&, const Status& s) override { status = s; }
    Status status;
  } recorder;
  const KernelProfile k = MakeKernel("k", 10, 10000, 0.0);
  KernelLaunch launch;
  launch.steps = 2;
  launch.step_count = 2;
  launch.kernel = &k;
  launch.partition = {0, 17};
  gpu.Launch(launch, recorder);
  EXPECT_TRUE(recorder.status.ok()) << "never from inside Launch";
  clock.RunUntilIdle();
  EXPECT_EQ(recorder.status.code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::sim
