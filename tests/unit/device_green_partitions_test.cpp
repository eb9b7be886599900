// Green-context SM partitions on a real GPU (issue 4, acceptance 4): a kernel recording %smid per block,
// launched into the streams of several partitions, runs only on its partition's SMs; a BE side [0, k) and
// an LS side [k, n) never share an SM; and with enough blocks a partition uses exactly its SM count (8 per
// group, the remainder in the last). Skipped where there is no GPU (CI, the CPU machines).
#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <thread>
#include <vector>

#include "device/cuda/green_partitions.h"
#include "device/cuda/sm_census.h"
#include "gpu_test_support.h"
#include "sched/sm_layout.h"

namespace missile::device::cuda {
namespace {

// SMs in groups [begin, end) of the layout: every group full but the last, which holds the remainder.
int SmsIn(const SmGroups& layout, int begin, int end) {
  return sched::GpuLayout{layout.sms, layout.sms_per_group, layout.groups}.SmsIn({begin, end});
}

class GreenPartitionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string no_gpu = missile::testing::NoGpuReason();
    if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, green-context partition test skipped: " << no_gpu;
    auto created = GreenPartitions::Create(8);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    partitions_ = std::move(created).value();
  }

  // The distinct SMs that `blocks` census blocks used in partition [begin, end).
  std::set<int> SmsUsed(int begin, int end, int blocks, int priority = 0) {
    auto stream = partitions_->StreamFor(begin, end, priority);
    EXPECT_TRUE(stream.ok()) << stream.status().ToString();
    if (!stream.ok()) return {};
    auto sms = RecordBlockSms(*stream, blocks, 50);
    EXPECT_TRUE(sms.ok()) << sms.status().ToString();
    if (!sms.ok()) return {};
    for (int sm : *sms) EXPECT_GE(sm, 0) << "a block did not record its SM";
    return {sms->begin(), sms->end()};
  }

  std::unique_ptr<GreenPartitions> partitions_;
};

TEST_F(GreenPartitionsTest, LayoutCoversEverySm) {
  const SmGroups& layout = partitions_->layout();
  int device_sms = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&device_sms, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
  EXPECT_EQ(layout.sms, device_sms);
  EXPECT_EQ(layout.sms_per_group, 8);
  // Groups of 8 inside GPCs, the remainder (any size, 12 on the H200) last; every SM in some group.
  EXPECT_GE(layout.groups, device_sms / 8 - 2);
  EXPECT_EQ(SmsIn(layout, 0, layout.groups), device_sms);
  EXPECT_FALSE(layout.clusters_limited) << "the driver's GPC-aligned split was not usable";
  std::printf("layout: %d SMs, %d groups of %d (last %d), split %s\n", layout.sms, layout.groups,
              layout.sms_per_group, SmsIn(layout, layout.groups - 1, layout.groups),
              layout.clusters_limited ? "regardless of GPCs (clusters limited)" : "by GPC");
}

TEST_F(GreenPartitionsTest, EveryGroupRunsOnItsOwnSms) {
  const SmGroups& layout = partitions_->layout();
  const int n = layout.groups;
  // Group g alone is [0,1) for g = 0, [n-1,n) for the last; a middle group is the difference of two
  // prefixes. The whole GPU first: every SM appears.
  const std::set<int> all = SmsUsed(0, n, 4 * layout.sms);
  EXPECT_EQ(static_cast<int>(all.size()), layout.sms);
  std::set<int> previous;  // SMs of [0, k - 1)
  std::set<int> seen_in_groups;
  for (int k = 1; k <= n; ++k) {
    const std::set<int> prefix = SmsUsed(0, k, 4 * SmsIn(layout, 0, k));
    EXPECT_EQ(static_cast<int>(prefix.size()), SmsIn(layout, 0, k)) << "prefix [0," << k << ")";
    for (int sm : previous) EXPECT_TRUE(prefix.count(sm)) << "prefix [0," << k << ") lost SM " << sm;
    for (int sm : prefix) EXPECT_TRUE(all.count(sm)) << sm;
    previous = prefix;
  }
}

TEST_F(GreenPartitionsTest, BeAndLsSidesOfEverySplitAreDisjointAndComplete) {
  const SmGroups& layout = partitions_->layout();
  const int n = layout.groups;
  for (int k = 1; k < n; ++k) {
    const std::set<int> be = SmsUsed(0, k, 4 * SmsIn(layout, 0, k));
    const std::set<int> ls = SmsUsed(k, n, 4 * SmsIn(layout, k, n), /*priority=*/-5);
    EXPECT_EQ(static_cast<int>(be.size()), SmsIn(layout, 0, k)) << "BE side [0," << k << ")";
    EXPECT_EQ(static_cast<int>(ls.size()), SmsIn(layout, k, n)) << "LS side [" << k << "," << n << ")";
    for (int sm : be) EXPECT_FALSE(ls.count(sm)) << "split at " << k << ": SM " << sm << " on both sides";
    EXPECT_EQ(static_cast<int>(be.size() + ls.size()), layout.sms) << "split at " << k;
  }
}

TEST_F(GreenPartitionsTest, ConcurrentKernelsStayOnTheirSides) {
  // Both sides busy at once, as BE and LS tenants are: each kernel still only sees its own SMs.
  const SmGroups& layout = partitions_->layout();
  const int n = layout.groups, k = n / 2;
  std::set<int> be, ls;
  std::thread be_thread([&] { be = SmsUsed(0, k, 8 * SmsIn(layout, 0, k)); });
  ls = SmsUsed(k, n, 8 * SmsIn(layout, k, n), -5);
  be_thread.join();
  EXPECT_EQ(static_cast<int>(be.size()), SmsIn(layout, 0, k));
  EXPECT_EQ(static_cast<int>(ls.size()), SmsIn(layout, k, n));
  for (int sm : be) EXPECT_FALSE(ls.count(sm)) << sm;
}

TEST_F(GreenPartitionsTest, StreamsAreCachedPerRangeAndPriority) {
  const int n = partitions_->layout().groups;
  auto a = partitions_->StreamFor(0, 2, 0);
  auto b = partitions_->StreamFor(0, 2, 0);
  auto c = partitions_->StreamFor(0, 2, -3);
  auto d = partitions_->StreamFor(2, n, 0);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, *d);
  int priority = 0;
  ASSERT_EQ(cudaStreamGetPriority(*c, &priority), cudaSuccess);
  EXPECT_EQ(priority, -3);
}

TEST_F(GreenPartitionsTest, BadRangesAndPrioritiesAreRefused) {
  const int n = partitions_->layout().groups;
  EXPECT_EQ(partitions_->StreamFor(2, 5, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(partitions_->StreamFor(0, n + 1, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(partitions_->StreamFor(3, 3, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(partitions_->StreamFor(0, n, 7).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(partitions_->StreamFor(0, n, -99).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(GreenPartitionsTest, StreamsMadeWhileAPartitionIsCurrentRunThere) {
  // What the CUDA backend relies on when a model is built inside a partition: a plain runtime stream made
  // while the green context is current belongs to it.
  cudaStream_t stream = nullptr;
  {
    auto current = partitions_->MakeCurrent(0, 1);
    ASSERT_TRUE(current.ok()) << current.status().ToString();
    ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  }
  auto sms = RecordBlockSms(stream, 64, 50);
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_EQ(std::set<int>(sms->begin(), sms->end()).size(), 8u);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  // And the thread is back in the primary context: a new stream there sees every SM.
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  auto all = RecordBlockSms(stream, 4 * partitions_->layout().sms, 50);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(static_cast<int>(std::set<int>(all->begin(), all->end()).size()), partitions_->layout().sms);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  EXPECT_EQ(partitions_->MakeCurrent(3, 5).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(GreenPartitionsTest, PrimaryContextMemoryWorksInAPartition) {
  // cudaMalloc'd in the primary context, written by a kernel in a partition, read back.
  auto stream = partitions_->StreamFor(0, 1, 0);
  ASSERT_TRUE(stream.ok());
  auto sms = RecordBlockSms(*stream, 16, 0);
  ASSERT_TRUE(sms.ok()) << sms.status().ToString();
  EXPECT_EQ(sms->size(), 16u);
}

}  // namespace
}  // namespace missile::device::cuda

#endif  // MISSILE_HAVE_CUDA
