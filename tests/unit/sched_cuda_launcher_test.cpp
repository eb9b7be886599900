// The compute scheduler on the GPU: two tenants of real models under `missile`, the LS one replaying its
// whole request as a CUDA graph, the BE one released in two-step segments replayed as graphs too; every
// output equals the model run alone, failures come back through the listener, a paced launch waits on the
// GPU. Skipped where there is no GPU
// (CI, the CPU machines); compiled wherever nvcc is.
#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "gpu_test_support.h"
#include "pcie/clock.h"
#include "runtime/cuda/cuda_executable.h"
#include "runtime/session.h"
#include "sched/compute_scheduler.h"
#include "sched/cuda/cuda_kernel_launcher.h"
#include "sched/cuda/green_partition_streams.h"
#include "sched/cuda/partition_streams.h"
#include "sched/profile_synthesizer.h"
#include "sched_test_support.h"

namespace missile::sched::testing {
namespace {

struct GpuModel {
  std::unique_ptr<runtime::Session> session;
  runtime::cuda::CudaExecutable* executable = nullptr;
  std::shared_ptr<const ModelProfile> profile;
};

GpuModel LoadSmallNet(uint32_t seed) {
  GpuModel model;
  runtime::SessionOptions options;
  options.backend = "cuda";
  options.allow_tf32 = false;
  auto session = runtime::Session::FromGraph(SmallConvNet(seed), options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  model.session = std::move(session).value();
  runtime::NamedTensors inputs;
  inputs.emplace("x", Tensor(DataType::kFloat32, {1, 3, 16, 16}));
  auto executable = model.session->Prepare(inputs);
  EXPECT_TRUE(executable.ok()) << executable.status().ToString();
  model.executable = dynamic_cast<runtime::cuda::CudaExecutable*>(*executable);
  EXPECT_NE(model.executable, nullptr);
  SynthesisOptions synthesis;
  synthesis.model = "small";
  auto profile = SynthesizeProfile(model.executable->graph(), model.executable->plan(), synthesis);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  model.profile = std::make_shared<const ModelProfile>(std::move(profile).value());
  return model;
}

class CudaLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string no_gpu = missile::testing::NoGpuReason();
    if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, CUDA launcher test skipped: " << no_gpu;
  }
};

// Counts request completions and wakes the test when all have arrived.
struct Completions {
  std::mutex mutex;
  std::condition_variable changed;
  int remaining = 0;
  std::vector<std::tuple<TenantId, RequestId, Status>> finished;

  RequestCallback For(TenantId tenant) {
    {
      std::lock_guard lock(mutex);
      ++remaining;
    }
    return [this, tenant](RequestId request, const Status& status) {
      std::lock_guard lock(mutex);
      finished.emplace_back(tenant, request, status);
      if (--remaining == 0) changed.notify_all();
    };
  }
  bool Wait() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(60), [&] { return remaining == 0; });
  }
};

TEST_F(CudaLauncherTest, TwoTenantsUnderMissileGetTheOutputsOfTheirModelsAlone) {
  GpuModel ls_model = LoadSmallNet(1);
  GpuModel be_model = LoadSmallNet(2);
  pcie::SteadyClock clock;
  cuda::WholeGpuStreams streams("test");
  cuda::CudaKernelLauncher launcher(streams);
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(MakePolicy("missile")).value(), launcher, clock);
  TenantConfig ls_config{"ls", TenantClass::kLatencySensitive, {0, kAllGroups}, 0};
  ls_config.segment_steps = 0;  // whole requests, as graphs
  TenantConfig be_config{"be", TenantClass::kBestEffort, {1, kAllGroups}, 0};
  be_config.segment_steps = 2;
  auto ls = scheduler.AddTenant(ls_config, ls_model.profile);
  auto be = scheduler.AddTenant(be_config, be_model.profile);
  ASSERT_TRUE(ls.ok() && be.ok());
  ASSERT_TRUE(launcher.AddModel(*ls, *ls_model.executable, {.replay_graphs = true}).ok());
  ASSERT_TRUE(launcher.AddModel(*be, *be_model.executable, {.replay_graphs = true}).ok());
  ASSERT_TRUE(launcher.PrepareGraphs(*ls, {0, 17}, 5, 0).ok());

  Completions completions;
  constexpr int kRequests = 8;
  for (int r = 0; r < kRequests; ++r) {
    for (TenantId tenant : {*ls, *be}) {
      const RequestId id = static_cast<RequestId>(r);
      ASSERT_TRUE(launcher.SetInputs(tenant, id, {SeededTensor({1, 3, 16, 16}, 100 + r)}).ok());
      ASSERT_TRUE(scheduler.Submit(tenant, id, completions.For(tenant)).ok());
    }
  }
  ASSERT_TRUE(completions.Wait());
  ASSERT_EQ(completions.finished.size(), 2u * kRequests);
  for (const auto& [tenant, request, status] : completions.finished) {
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto outputs = launcher.TakeOutputs(tenant, request);
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    runtime::NamedTensors inputs;
    inputs.emplace("x", SeededTensor({1, 3, 16, 16}, 100 + static_cast<uint32_t>(request)));
    auto alone = (tenant == *ls ? ls_model : be_model).session->Run(inputs);
    ASSERT_TRUE(alone.ok()) << alone.status().ToString();
    const Tensor& expected = alone->at("y");
    ASSERT_EQ((*outputs)[0].num_elements(), expected.num_elements());
    for (int64_t i = 0; i < expected.num_elements(); ++i) {
      EXPECT_NEAR((*outputs)[0].data<float>()[i], expected.data<float>()[i], 1e-5) << "tenant " << tenant;
    }
  }
  EXPECT_EQ(scheduler.invalid_decisions(), 0u);
  const cuda::CudaLauncherStats stats = launcher.stats();
  const size_t be_launches = (be_model.executable->step_count() + 1) / 2;
  EXPECT_EQ(stats.launches, kRequests * (1 + be_launches))
      << "one launch per LS request, BE two steps at a time";
  EXPECT_EQ(stats.graph_launches, stats.launches);
  EXPECT_GE(stats.graphs_captured, 1 + be_launches);
  EXPECT_EQ(stats.steps, 2u * kRequests * ls_model.executable->step_count());
  EXPECT_EQ(stats.failed_launches, 0u);
  EXPECT_EQ(launcher.TakeOutputs(*ls, 0).status().code(), ErrorCode::kNotFound) << "taken once";
}

TEST_F(CudaLauncherTest, APacedLaunchIdlesItsStreamOnTheGpuNotTheHost) {
  // missile's duty cycle: a launch paced by 3 ms completes no sooner than 3 ms later, while Launch itself
  // returns at once.
  GpuModel model = LoadSmallNet(1);
  cuda::WholeGpuStreams streams("test");
  cuda::CudaKernelLauncher launcher(streams);
  ASSERT_TRUE(launcher.AddModel(0, *model.executable).ok());
  ASSERT_TRUE(launcher.SetInputs(0, 1, {SeededTensor({1, 3, 16, 16}, 7)}).ok());
  struct Done final : KernelListener {
    void OnKernelDone(const KernelLaunch&, const Status& s) override {
      status = s;
      at = std::chrono::steady_clock::now();
      done.set_value();
    }
    std::promise<void> done;
    Status status;
    std::chrono::steady_clock::time_point at;
  } listener;
  KernelLaunch launch;
  launch.request = 1;
  launch.steps = model.executable->step_count();
  launch.step_count = launch.steps;
  launch.partition = {0, 17};
  launch.stream_priority = 0;
  launch.pace_us = 3000;
  launch.kernel = &model.profile->kernels[0];
  const auto start = std::chrono::steady_clock::now();
  launcher.Launch(launch, listener);
  using Ms = std::chrono::duration<double, std::milli>;
  const double launch_ms = Ms(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(listener.done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  ASSERT_TRUE(listener.status.ok()) << listener.status.ToString();
  EXPECT_LT(launch_ms, 2.0) << "the host does not wait out the pause";
  EXPECT_GE(Ms(listener.at - start).count(), 3.0);
  EXPECT_EQ(launcher.stats().paced_launches, 1u);
  EXPECT_NEAR(launcher.stats().pace_seconds, 3e-3, 1e-12);
  auto outputs = launcher.TakeOutputs(0, 1);
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
}

TEST_F(CudaLauncherTest, TenantsNeverShareAStream) {
  cuda::WholeGpuStreams whole("test");
  EXPECT_FALSE(whole.partitioned());
  EXPECT_NE(whole.description().find("SM partitions unavailable: test"), std::string::npos);
  const cudaStream_t a = *whole.StreamFor(0, {0, 17}, -3);
  EXPECT_EQ(*whole.StreamFor(0, {4, 17}, -3), a) << "every partition is the whole GPU";
  EXPECT_NE(*whole.StreamFor(1, {0, 17}, -3), a) << "another tenant";
  EXPECT_NE(*whole.StreamFor(0, {0, 17}, 0), a) << "another priority";
  EXPECT_FALSE(whole.StreamFor(0, {3, 3}, 0).ok());

  // The device's own split (15 x 8 + 12 on the H200, folded into 15 groups).
  auto device = device::cuda::GreenPartitions::Create(8);
  if (!device.ok())
    GTEST_SKIP() << "green-context partitions unavailable here: " << device.status().ToString();
  const GpuLayout layout{(*device)->layout().sms, (*device)->layout().sms_per_group,
                         (*device)->layout().groups};
  const int n = layout.groups();
  auto green = cuda::GreenPartitionStreams::Create(layout);
  ASSERT_TRUE(green.ok()) << green.status().ToString();
  EXPECT_TRUE((*green)->partitioned());
  const cudaStream_t g = *(*green)->StreamFor(0, {2, n}, -5);
  EXPECT_EQ(*(*green)->StreamFor(0, {2, n}, -5), g);
  EXPECT_NE(*(*green)->StreamFor(1, {2, n}, -5), g) << "another tenant gets its own green contexts";
  EXPECT_FALSE((*green)->StreamFor(0, {0, n + 1}, 0).ok());
}

TEST_F(CudaLauncherTest, AProfileThatDoesNotFitTheModelFailsTheRequestThroughTheListener) {
  GpuModel model = LoadSmallNet(1);
  pcie::SteadyClock clock;
  cuda::WholeGpuStreams streams("test");
  cuda::CudaKernelLauncher launcher(streams);
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(MakePolicy("shared")).value(), launcher, clock);
  auto wrong = MakeModel("wrong", {MakeKernel("only", 10, 100, 0.1)});
  auto t = scheduler.AddTenant({"t", TenantClass::kBestEffort, {}, 0}, wrong);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(launcher.SetInputs(*t, 1, {}).code(), ErrorCode::kNotFound) << "no model yet";
  ASSERT_TRUE(launcher.AddModel(*t, *model.executable).ok());
  EXPECT_EQ(launcher.AddModel(*t, *model.executable).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(launcher.PrepareGraphs(*t, {0, 17}, 0, 1).code(), ErrorCode::kFailedPrecondition)
      << "added without replay_graphs";
  EXPECT_EQ(launcher.SetInputs(*t, 1, {}).code(), ErrorCode::kInvalidArgument) << "the model takes one input";
  Completions completions;
  ASSERT_TRUE(scheduler.Submit(*t, 1, completions.For(*t)).ok());
  ASSERT_TRUE(completions.Wait());
  const Status& status = std::get<2>(completions.finished[0]);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("the profile has 1 kernels"), std::string::npos) << status.ToString();
  EXPECT_EQ(launcher.stats().failed_launches, 1u);
}

}  // namespace
}  // namespace missile::sched::testing

#endif  // MISSILE_HAVE_CUDA
