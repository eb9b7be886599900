// The compute scheduler end to end on the CPU device: real models, real kernels, the missile policy, two
// tenants at once; every output equals the model run alone.
#include <condition_variable>
#include <mutex>

#include "pcie/clock.h"
#include "runtime/cpu_executable.h"
#include "runtime/session.h"
#include "sched/compute_scheduler.h"
#include "sched/cpu_partition_launcher.h"
#include "sched/profile_synthesizer.h"
#include "sched_test_support.h"

namespace missile::sched::testing {
namespace {

struct CpuModel {
  std::unique_ptr<runtime::Session> session;
  runtime::CpuExecutable* executable = nullptr;
  std::shared_ptr<const ModelProfile> profile;
};

CpuModel LoadSmallNet(uint32_t seed) {
  CpuModel model;
  auto session = runtime::Session::FromGraph(SmallConvNet(seed));
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  model.session = std::move(session).value();
  runtime::NamedTensors inputs;
  inputs.emplace("x", Tensor(DataType::kFloat32, {1, 3, 16, 16}));
  auto executable = model.session->Prepare(inputs);
  EXPECT_TRUE(executable.ok()) << executable.status().ToString();
  model.executable = dynamic_cast<runtime::CpuExecutable*>(*executable);
  SynthesisOptions options;
  options.model = "small";
  auto profile = SynthesizeProfile(model.executable->graph(), model.executable->plan(), options);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  model.profile = std::make_shared<const ModelProfile>(std::move(profile).value());
  return model;
}

TEST(CpuExecutableTest, StepByStepEqualsRun) {
  CpuModel model = LoadSmallNet(3);
  const Tensor x = SeededTensor({1, 3, 16, 16}, 99);
  auto whole = model.executable->Run({&x});
  ASSERT_TRUE(whole.ok());
  model.executable->SetInputs({&x});
  for (size_t s = 0; s < model.executable->step_count(); ++s) ASSERT_TRUE(model.executable->RunStep(s).ok());
  const std::vector<Tensor> stepped = model.executable->Outputs();
  ASSERT_EQ(stepped.size(), 1u);
  ASSERT_EQ(stepped[0].num_elements(), (*whole)[0].num_elements());
  for (int64_t i = 0; i < stepped[0].num_elements(); ++i) {
    EXPECT_EQ(stepped[0].data<float>()[i], (*whole)[0].data<float>()[i]);
  }
  EXPECT_EQ(model.executable->RunStep(model.executable->step_count()).code(), ErrorCode::kInvalidArgument);
}

TEST(CpuDeviceTest, TwoTenantsUnderMissileGetTheOutputsOfTheirModelsAlone) {
  CpuModel ls_model = LoadSmallNet(1);
  CpuModel be_model = LoadSmallNet(2);
  pcie::SteadyClock clock;
  CpuPartitionLauncher launcher(GpuLayout::H200());
  auto policy = MakePolicy("missile");
  ASSERT_TRUE(policy.ok());
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(policy).value(), launcher, clock);
  auto ls = scheduler.AddTenant({"ls", TenantClass::kLatencySensitive, {0, kAllGroups}, 0}, ls_model.profile);
  auto be = scheduler.AddTenant({"be", TenantClass::kBestEffort, {1, kAllGroups}, 0}, be_model.profile);
  ASSERT_TRUE(ls.ok() && be.ok());
  ASSERT_TRUE(launcher.AddModel(*ls, *ls_model.executable).ok());
  ASSERT_TRUE(launcher.AddModel(*be, *be_model.executable).ok());

  std::mutex mutex;
  std::condition_variable all_done;
  int remaining = 0;
  std::vector<std::pair<TenantId, RequestId>> finished;
  constexpr int kRequests = 6;
  for (int r = 0; r < kRequests; ++r) {
    for (TenantId tenant : {*ls, *be}) {
      const RequestId id = static_cast<RequestId>(r);
      ASSERT_TRUE(launcher.SetInputs(tenant, id, {SeededTensor({1, 3, 16, 16}, 100 + r)}).ok());
      {
        std::lock_guard lock(mutex);
        ++remaining;
      }
      ASSERT_TRUE(scheduler
                      .Submit(tenant, id,
                              [&, tenant](RequestId request, const Status& status) {
                                EXPECT_TRUE(status.ok()) << status.ToString();
                                std::lock_guard lock(mutex);
                                finished.emplace_back(tenant, request);
                                if (--remaining == 0) all_done.notify_all();
                              })
                      .ok());
    }
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(60), [&] { return remaining == 0; }));
  }
  ASSERT_EQ(finished.size(), 2u * kRequests);
  for (const auto& [tenant, request] : finished) {
    auto outputs = launcher.TakeOutputs(tenant, request);
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    runtime::NamedTensors inputs;
    inputs.emplace("x", SeededTensor({1, 3, 16, 16}, 100 + static_cast<uint32_t>(request)));
    auto alone = (tenant == *ls ? ls_model : be_model).session->Run(inputs);
    ASSERT_TRUE(alone.ok());
    const Tensor& expected = alone->at("y");
    ASSERT_EQ((*outputs)[0].num_elements(), expected.num_elements());
    for (int64_t i = 0; i < expected.num_elements(); ++i) {
      EXPECT_EQ((*outputs)[0].data<float>()[i], expected.data<float>()[i]) << "tenant " << tenant;
    }
  }
  EXPECT_EQ(scheduler.invalid_decisions(), 0u);
  EXPECT_EQ(launcher.ComputeOrder().size(), 2u * kRequests * ls_model.executable->step_count());
  EXPECT_EQ(launcher.TakeOutputs(*ls, 0).status().code(), ErrorCode::kNotFound) << "taken once";
}

// One tenant, two models: each request runs the executable it was bound to.
TEST(CpuDeviceTest, ATenantServingTwoModelsRunsEachRequestOnItsOwn) {
  CpuModel first = LoadSmallNet(1);
  CpuModel second = LoadSmallNet(2);
  pcie::SteadyClock clock;
  CpuPartitionLauncher launcher(GpuLayout::H200(), /*stretch_time=*/false);
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(MakePolicy("temporal")).value(), launcher, clock);
  auto t = scheduler.AddTenant({"server", TenantClass::kLatencySensitive, {}, 0});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(launcher.SetRequest(*t, 9, *first.executable, {}).code(), ErrorCode::kInvalidArgument);

  std::mutex mutex;
  std::condition_variable all_done;
  int remaining = 4;
  for (RequestId r = 0; r < 4; ++r) {
    CpuModel& model = r % 2 == 0 ? first : second;
    ASSERT_TRUE(launcher
                    .SetRequest(*t, r, *model.executable,
                                {SeededTensor({1, 3, 16, 16}, 50 + static_cast<uint32_t>(r))})
                    .ok());
    ASSERT_TRUE(scheduler
                    .SubmitOf(*t, r, model.profile,
                              [&](RequestId, const Status& status) {
                                EXPECT_TRUE(status.ok()) << status.ToString();
                                std::lock_guard lock(mutex);
                                if (--remaining == 0) all_done.notify_all();
                              })
                    .ok());
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(60), [&] { return remaining == 0; }));
  }
  for (RequestId r = 0; r < 4; ++r) {
    auto outputs = launcher.TakeOutputs(*t, r);
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    runtime::NamedTensors inputs;
    inputs.emplace("x", SeededTensor({1, 3, 16, 16}, 50 + static_cast<uint32_t>(r)));
    auto alone = (r % 2 == 0 ? first : second).session->Run(inputs);
    ASSERT_TRUE(alone.ok());
    const Tensor& expected = alone->at("y");
    for (int64_t i = 0; i < expected.num_elements(); ++i) {
      EXPECT_EQ((*outputs)[0].data<float>()[i], expected.data<float>()[i]) << "request " << r;
    }
  }
  // A request bound and then dropped leaves nothing behind.
  ASSERT_TRUE(launcher.SetRequest(*t, 7, *first.executable, {SeededTensor({1, 3, 16, 16}, 1)}).ok());
  launcher.DropRequest(*t, 7);
  EXPECT_TRUE(launcher.SetRequest(*t, 7, *first.executable, {SeededTensor({1, 3, 16, 16}, 1)}).ok());
}

TEST(CpuDeviceTest, ARequestWithoutInputsFails) {
  CpuModel model = LoadSmallNet(1);
  pcie::SteadyClock clock;
  CpuPartitionLauncher launcher(GpuLayout::H200(), /*stretch_time=*/false);
  ComputeScheduler scheduler(GpuLayout::H200(), std::move(MakePolicy("shared")).value(), launcher, clock);
  auto t = scheduler.AddTenant({"t", TenantClass::kBestEffort, {}, 0}, model.profile);
  ASSERT_TRUE(launcher.AddModel(*t, *model.executable).ok());
  EXPECT_EQ(launcher.SetInputs(*t, 1, {}).code(), ErrorCode::kInvalidArgument) << "the model takes one input";
  std::mutex mutex;
  std::condition_variable done;
  std::optional<Status> result;
  ASSERT_TRUE(scheduler
                  .Submit(*t, 1,
                          [&](RequestId, const Status& status) {
                            std::lock_guard lock(mutex);
                            result = status;
                            done.notify_all();
                          })
                  .ok());
  std::unique_lock lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(30), [&] { return result.has_value(); }));
  EXPECT_EQ(result->code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(result->message().find("without inputs"), std::string::npos);
}

}  // namespace
}  // namespace missile::sched::testing
