// The executor: requests become their model's kernels, released one at a time as the policy says.
#include "pcie/virtual_clock.h"
#include "sched/compute_scheduler.h"
#include "sched_test_support.h"

namespace missile::sched::testing {
namespace {

class ComputeSchedulerTest : public ::testing::Test {
 protected:
  std::shared_ptr<ModelProfile> three_kernels = MakeModel(
      "m", {MakeKernel("a", 10, 100, 0.1), MakeKernel("b", 10, 100, 0.9), MakeKernel("c", 10, 100, 0.1)});

  std::unique_ptr<ComputeScheduler> Make(std::string_view policy) {
    auto made = MakePolicy(policy);
    EXPECT_TRUE(made.ok());
    return std::make_unique<ComputeScheduler>(GpuLayout::H200(), std::move(made).value(), launcher, clock);
  }
  TenantId Add(ComputeScheduler& scheduler, TenantClass cls, std::string name) {
    auto id = scheduler.AddTenant({std::move(name), cls, {1, kAllGroups}, 0}, three_kernels);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }

  pcie::VirtualClock clock;
  RecordingLauncher launcher;
  std::vector<std::pair<RequestId, Status>> done;
  RequestCallback Record() {
    return [this](RequestId id, const Status& s) { done.emplace_back(id, s); };
  }
};

TEST_F(ComputeSchedulerTest, ARequestRunsItsKernelsInOrderOneAtATime) {
  auto scheduler = Make("shared");
  const TenantId t = Add(*scheduler, TenantClass::kBestEffort, "be");
  ASSERT_TRUE(scheduler->Submit(t, 7, Record()).ok());
  ASSERT_TRUE(scheduler->Submit(t, 8, Record()).ok());
  for (size_t step = 0; step < 6; ++step) {
    ASSERT_EQ(launcher.PendingOf(t), 1u) << "one kernel in flight per tenant";
    const KernelLaunch& launch = launcher.pending.front().first;
    EXPECT_EQ(launch.request, step < 3 ? 7u : 8u);
    EXPECT_EQ(launch.step, step % 3);
    EXPECT_EQ(launch.step_count, 3u);
    EXPECT_EQ(launch.kernel, &three_kernels->kernels[step % 3]);
    EXPECT_EQ(launch.partition, (GroupRange{0, 17}));
    launcher.Complete(t);
  }
  EXPECT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].first, 7u);
  EXPECT_EQ(done[1].first, 8u);
  EXPECT_EQ(scheduler->StatsOf(t).completed, 2u);
  EXPECT_EQ(scheduler->StatsOf(t).kernels_launched, 6u);
  EXPECT_EQ(scheduler->invalid_decisions(), 0u);
}

TEST_F(ComputeSchedulerTest, HeldKernelsLaunchAtALaterEvent) {
  // temporal: BE's request owns the GPU; LS arrives and is held until BE's request finishes.
  auto scheduler = Make("temporal");
  const TenantId be = Add(*scheduler, TenantClass::kBestEffort, "be");
  const TenantId ls = Add(*scheduler, TenantClass::kLatencySensitive, "ls");
  ASSERT_TRUE(scheduler->Submit(be, 1, Record()).ok());
  ASSERT_TRUE(scheduler->Submit(ls, 2, Record()).ok());
  ASSERT_TRUE(scheduler->Submit(be, 3, Record()).ok());
  EXPECT_EQ(launcher.PendingOf(ls), 0u);
  launcher.Complete(be);
  launcher.Complete(be);
  EXPECT_EQ(launcher.PendingOf(ls), 0u);
  launcher.Complete(be);  // BE's first request is done: LS goes before BE's second
  EXPECT_EQ(launcher.PendingOf(ls), 1u);
  EXPECT_EQ(launcher.PendingOf(be), 0u);
  EXPECT_EQ(launcher.pending.front().first.stream_priority, 3);
}

TEST_F(ComputeSchedulerTest, AFailedKernelFailsItsRequestAndTheNextOneRuns) {
  auto scheduler = Make("shared");
  const TenantId t = Add(*scheduler, TenantClass::kBestEffort, "be");
  ASSERT_TRUE(scheduler->Submit(t, 1, Record()).ok());
  ASSERT_TRUE(scheduler->Submit(t, 2, Record()).ok());
  launcher.Complete(t);
  launcher.Complete(t, Error(ErrorCode::kInternal, "kernel crashed"));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].second.message(), "kernel crashed");
  ASSERT_EQ(launcher.PendingOf(t), 1u);
  EXPECT_EQ(launcher.pending.front().first.request, 2u);
  EXPECT_EQ(launcher.pending.front().first.step, 0u);
  EXPECT_EQ(scheduler->StatsOf(t).failed, 1u);
}

TEST_F(ComputeSchedulerTest, RefusesWhatItCannotServe) {
  auto scheduler = Make("shared");
  const TenantId t = Add(*scheduler, TenantClass::kBestEffort, "be");
  EXPECT_EQ(scheduler->Submit(42, 1).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(scheduler->Submit(t, 1).ok());
  EXPECT_EQ(scheduler->Submit(t, 1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler->AddTenant({"x", TenantClass::kBestEffort, {3, 2}, 0}, three_kernels).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler->AddTenant({"x", TenantClass::kBestEffort, {}, 0}, nullptr).status().code(),
            ErrorCode::kInvalidArgument);
  auto other_gpu = MakeModel("m", {MakeKernel("a", 10, 100, 0.1, GpuLayout{64, 8})}, 1, GpuLayout{64, 8});
  EXPECT_EQ(scheduler->AddTenant({"x", TenantClass::kBestEffort, {}, 0}, other_gpu).status().code(),
            ErrorCode::kInvalidArgument);
}

// A server tenant serves several models: each request brings its profile, and the tenant still runs one
// kernel at a time, request after request, each request's own kernels.
TEST_F(ComputeSchedulerTest, ATenantWithoutAModelRunsEachRequestsOwn) {
  auto scheduler = Make("shared");
  auto two_kernels = MakeModel("n", {MakeKernel("x", 5, 100, 0.2), MakeKernel("y", 5, 100, 0.2)});
  auto id = scheduler->AddTenant({"server", TenantClass::kLatencySensitive, {0, kAllGroups}, 2});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  const TenantId t = *id;
  EXPECT_EQ(scheduler->Submit(t, 1).code(), ErrorCode::kInvalidArgument) << "no model of its own";
  ASSERT_TRUE(scheduler->SubmitOf(t, 1, three_kernels, Record()).ok());
  ASSERT_TRUE(scheduler->SubmitOf(t, 2, two_kernels, Record()).ok());
  EXPECT_EQ(scheduler->SubmitOf(t, 3, nullptr).code(), ErrorCode::kInvalidArgument);
  auto other_gpu = MakeModel("m", {MakeKernel("a", 10, 100, 0.1, GpuLayout{64, 8})}, 1, GpuLayout{64, 8});
  EXPECT_EQ(scheduler->SubmitOf(t, 3, other_gpu).code(), ErrorCode::kInvalidArgument);

  TenantActivity activity = scheduler->ActivityOf(t);
  EXPECT_EQ(activity.queued_requests, 2u);
  EXPECT_TRUE(activity.request_started);
  ASSERT_TRUE(activity.running_partition.has_value());
  EXPECT_EQ(*activity.running_partition, (GroupRange{0, 17}));

  const std::vector<std::pair<RequestId, const KernelProfile*>> expected = {{1, &three_kernels->kernels[0]},
                                                                            {1, &three_kernels->kernels[1]},
                                                                            {1, &three_kernels->kernels[2]},
                                                                            {2, &two_kernels->kernels[0]},
                                                                            {2, &two_kernels->kernels[1]}};
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(launcher.PendingOf(t), 1u);
    const KernelLaunch& launch = launcher.pending.front().first;
    EXPECT_EQ(launch.request, expected[i].first) << i;
    EXPECT_EQ(launch.kernel, expected[i].second) << i;
    EXPECT_EQ(launch.step_count, expected[i].first == 1 ? 3u : 2u);
    launcher.Complete(t);
  }
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(scheduler->StatsOf(t).completed, 2u);
  activity = scheduler->ActivityOf(t);
  EXPECT_EQ(activity.queued_requests, 0u);
  EXPECT_FALSE(activity.request_started);
  EXPECT_FALSE(activity.running_partition.has_value());
}

// A broken policy: launches a tenant twice and into partitions that do not exist.
class BrokenPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "broken"; }
  Decisions Decide(const SchedulerView& view) const override {
    Decisions d;
    for (const TenantView& t : view.tenants) {
      if (!t.ready()) continue;
      d.push_back(KernelDecision::Launch(t.id, {0, 17}, 0));
      d.push_back(KernelDecision::Launch(t.id, {0, 17}, 0));  // twice
      d.push_back(KernelDecision::Launch(t.id, {5, 99}, 0));
    }
    return d;
  }
};

TEST_F(ComputeSchedulerTest, InvalidDecisionsAreCountedAndNotLaunched) {
  ComputeScheduler scheduler(GpuLayout::H200(), std::make_unique<BrokenPolicy>(), launcher, clock);
  const TenantId t = Add(scheduler, TenantClass::kBestEffort, "be");
  ASSERT_TRUE(scheduler.Submit(t, 1).ok());
  EXPECT_EQ(launcher.PendingOf(t), 1u);
  EXPECT_EQ(scheduler.invalid_decisions(), 2u);
}

// Launches every ready tenant on the whole GPU and keeps the views it was shown.
class ViewRecordingPolicy final : public SchedulingPolicy {
 public:
  std::string_view name() const override { return "view-recording"; }
  Decisions Decide(const SchedulerView& view) const override {
    views.push_back(view);
    Decisions d;
    for (const TenantView& t : view.tenants) {
      if (t.ready()) d.push_back(KernelDecision::Launch(t.id, {0, 17}, 0));
    }
    return d;
  }
  mutable std::vector<SchedulerView> views;
};

TEST_F(ComputeSchedulerTest, SegmentsReleaseRunsOfStepsAndThePolicySeesTheirFirstKernel) {
  auto five = MakeModel(
      "five", {MakeKernel("a", 10, 100, 0.1), MakeKernel("b", 10, 100, 0.1), MakeKernel("c", 10, 100, 0.9),
               MakeKernel("d", 10, 100, 0.1), MakeKernel("e", 10, 100, 0.1)});
  auto owned = std::make_unique<ViewRecordingPolicy>();
  ViewRecordingPolicy* policy = owned.get();
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(owned), launcher, clock);
  TenantConfig pairs{"pairs", TenantClass::kBestEffort, {0, kAllGroups}, 0};
  pairs.segment_steps = 2;
  TenantConfig whole{"whole", TenantClass::kLatencySensitive, {0, kAllGroups}, 0};
  whole.segment_steps = 0;
  const TenantId p = *scheduler.AddTenant(pairs, five);
  const TenantId w = *scheduler.AddTenant(whole, five);

  ASSERT_TRUE(scheduler.Submit(p, 1, Record()).ok());
  launcher.Complete(p);  // steps [0, 2)
  ASSERT_EQ(launcher.PendingOf(p), 1u);
  const KernelLaunch second = launcher.pending.front().first;
  EXPECT_EQ(second.step, 2u);
  EXPECT_EQ(second.steps, 2u);
  EXPECT_FALSE(second.last());
  EXPECT_EQ(second.kernel, &five->kernels[2]);

  // The whole-request tenant arrives while [2, 4) is in flight: the policy sees that launch's first kernel
  // as running and the request's rest from it on.
  ASSERT_TRUE(scheduler.Submit(w, 9, Record()).ok());
  const TenantView& seen = policy->views.back().tenants[p];
  ASSERT_TRUE(seen.running.has_value());
  EXPECT_EQ(seen.running->kernel, &five->kernels[2]);
  EXPECT_EQ(seen.upcoming.size(), 3u);
  EXPECT_EQ(seen.next, nullptr);
  ASSERT_EQ(launcher.PendingOf(w), 1u);
  const KernelLaunch request = launcher.pending.back().first;
  EXPECT_EQ(request.steps, 5u);
  EXPECT_TRUE(request.whole_request());

  launcher.Complete(p);  // [2, 4)
  ASSERT_EQ(launcher.PendingOf(p), 1u);
  EXPECT_EQ(launcher.pending.back().first.step, 4u);
  EXPECT_EQ(launcher.pending.back().first.steps, 1u) << "the last segment is what is left";
  EXPECT_TRUE(launcher.pending.back().first.last());
  launcher.Complete(p);
  launcher.Complete(w);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(scheduler.StatsOf(p).kernels_launched, 5u);
  EXPECT_EQ(scheduler.StatsOf(w).kernels_launched, 5u);
  EXPECT_EQ(scheduler.StatsOf(w).completed, 1u);
}

}  // namespace
}  // namespace missile::sched::testing
