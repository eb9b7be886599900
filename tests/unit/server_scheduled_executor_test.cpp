// The server's requests on the compute scheduler (CPU device): every configured policy serves several tenants
// (one of them with two models) with the outputs each model gives alone; `temporal` runs whole requests one
// at a time; a backend without a scheduler device says the policy is not in effect. Per-tenant workers: an
// idle tenant's request runs on the caller's thread; hooks learn whether a BE tenant was busy during each
// run, and drive the L2 set-aside's windows model by model.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "sched/policy.h"
#include "server/cpu_scheduler_device.h"
#include "server/executor_factory.h"
#include "server/l2_setaside_serving.h"
#include "server/per_tenant_workers.h"
#include "server/scheduled_executor.h"

#ifdef MISSILE_HAVE_CUDA
#include <cuda_runtime.h>

#include "device/cuda/access_policy.h"
#include "runtime/cuda/cuda_backend.h"
#include "server/cuda/cuda_l2_setaside_device.h"
#endif

namespace missile::server {
namespace {

constexpr int kLayers = 3;
constexpr int kWidth = 16;

float Weight(int layer, int i, float scale) {
  return scale * static_cast<float>((i * 7 + layer * 3) % 11 - 5) / 8.0f;
}

// x[2, 16] -> three MatMul+Relu layers of 16x16 weights -> y[2, 16].
void WriteChain(const std::filesystem::path& path, float scale) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("chain");
  const auto value_info = [](onnx::ValueInfoProto* value, const std::string& name) {
    value->set_name(name);
    onnx::TypeProto::Tensor* type = value->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    type->mutable_shape()->add_dim()->set_dim_value(2);
    type->mutable_shape()->add_dim()->set_dim_value(kWidth);
  };
  value_info(graph->add_input(), "x");
  value_info(graph->add_output(), "y");
  std::string previous = "x";
  for (int layer = 0; layer < kLayers; ++layer) {
    const std::string w = "w" + std::to_string(layer), m = "m" + std::to_string(layer);
    const std::string out = layer + 1 == kLayers ? "y" : "h" + std::to_string(layer);
    onnx::TensorProto* weights = graph->add_initializer();
    weights->set_name(w);
    weights->set_data_type(onnx::TensorProto::FLOAT);
    weights->add_dims(kWidth);
    weights->add_dims(kWidth);
    for (int i = 0; i < kWidth * kWidth; ++i) weights->add_float_data(Weight(layer, i, scale));
    onnx::NodeProto* matmul = graph->add_node();
    matmul->set_op_type("MatMul");
    matmul->set_name(m);
    matmul->add_input(previous);
    matmul->add_input(w);
    matmul->add_output(m);
    onnx::NodeProto* relu = graph->add_node();
    relu->set_op_type("Relu");
    relu->set_name("relu" + std::to_string(layer));
    relu->add_input(m);
    relu->add_output(out);
    previous = out;
  }
  std::ofstream(path, std::ios::binary) << model.SerializeAsString();
}

// What the chain computes, in plain loops.
std::vector<float> Reference(const std::vector<float>& x, float scale) {
  std::vector<float> h = x;
  for (int layer = 0; layer < kLayers; ++layer) {
    std::vector<float> next(2 * kWidth, 0.0f);
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < kWidth; ++c) {
        float sum = 0;
        for (int k = 0; k < kWidth; ++k) sum += h[r * kWidth + k] * Weight(layer, k * kWidth + c, scale);
        next[r * kWidth + c] = std::max(sum, 0.0f);
      }
    }
    h = next;
  }
  return h;
}

class ScheduledExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("missile_sched_exec_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    WriteChain(dir_ / "a.onnx", 1.0f);
    WriteChain(dir_ / "b.onnx", -0.5f);
    WriteChain(dir_ / "c.onnx", 0.25f);
    config_.backend = "cpu";
    TenantConfig camera;
    camera.name = "camera";
    camera.tenant_class = TenantClass::kLatencySensitive;
    camera.sm_min = 8;
    camera.sm_max = 64;
    TenantConfig batch;
    batch.name = "batch";
    batch.sm_min = 8;
    config_.tenants = {camera, batch};
    config_.models = {Model("a", "camera", "a.onnx"), Model("b", "batch", "b.onnx"),
                      Model("c", "batch", "c.onnx")};
    scales_ = {{"a", 1.0f}, {"b", -0.5f}, {"c", 0.25f}};
    auto transfers = DeviceTransfers::CreateHostMemcpy();
    ASSERT_TRUE(transfers.ok());
    transfers_ = std::move(transfers).value();
    pcie::TenantId next = 1;
    for (const TenantConfig& tenant : config_.tenants) {
      ASSERT_TRUE(transfers_->AddTenant(next, {}).ok());
      tenant_ids_.emplace(tenant.name, next++);
    }
    runtime::SessionOptions base;
    base.backend = "cpu";
    for (const ModelConfig& model : config_.models) {
      auto loaded = ServedModel::Load(model, base);
      ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
      models_.emplace(model.name, std::shared_ptr<ServedModel>(std::move(loaded).value()));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ModelConfig Model(const std::string& name, const std::string& tenant, const std::string& file) {
    ModelConfig model;
    model.name = name;
    model.tenant = tenant;
    model.path = dir_ / file;
    return model;
  }

  static InferRequest Request(int r) {
    Tensor x(DataType::kFloat32, {2, kWidth});
    std::copy_n(Input(r).begin(), 2 * kWidth, x.data<float>());
    InferRequest request;
    request.inputs.push_back({"x", std::move(x)});
    return request;
  }

  // Submits one request of `model` and waits for it.
  static void ServeOne(InferenceExecutor& executor, const std::shared_ptr<ServedModel>& model, int r) {
    std::promise<JobOutcome> done;
    ASSERT_TRUE(
        executor.Submit({model, Request(r), [&](JobOutcome o) { done.set_value(std::move(o)); }}).ok());
    JobOutcome outcome = done.get_future().get();
    ASSERT_TRUE(outcome.outputs.ok()) << outcome.outputs.status().ToString();
  }

  static std::vector<float> Input(int request) {
    std::vector<float> x(2 * kWidth);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((request * 13 + i * 5) % 9) / 4.0f - 1.0f;
    return x;
  }

  // Submits `requests` requests to each model at once and checks every output against the reference.
  void ServeAndCheck(InferenceExecutor& executor, int requests) {
    std::vector<std::pair<std::string, std::future<JobOutcome>>> futures;
    std::vector<std::vector<float>> inputs;
    for (int r = 0; r < requests; ++r) {
      for (const auto& [name, model] : models_) {
        Tensor x(DataType::kFloat32, {2, kWidth});
        const std::vector<float> values = Input(r);
        std::copy(values.begin(), values.end(), x.data<float>());
        InferRequest request;
        request.inputs.push_back({"x", std::move(x)});
        auto promise = std::make_shared<std::promise<JobOutcome>>();
        futures.emplace_back(name, promise->get_future());
        inputs.push_back(values);
        ASSERT_TRUE(executor
                        .Submit({model, std::move(request),
                                 [promise](JobOutcome outcome) { promise->set_value(std::move(outcome)); }})
                        .ok());
      }
    }
    for (size_t i = 0; i < futures.size(); ++i) {
      ASSERT_EQ(futures[i].second.wait_for(std::chrono::seconds(60)), std::future_status::ready);
      JobOutcome outcome = futures[i].second.get();
      ASSERT_TRUE(outcome.outputs.ok()) << outcome.outputs.status().ToString();
      ASSERT_EQ(outcome.outputs->size(), 1u);
      const Tensor& y = (*outcome.outputs)[0].tensor;
      const std::vector<float> expected = Reference(inputs[i], scales_.at(futures[i].first));
      ASSERT_EQ(y.num_elements(), static_cast<int64_t>(expected.size()));
      for (size_t e = 0; e < expected.size(); ++e) {
        EXPECT_NEAR(y.data<float>()[e], expected[e], 1e-4f) << futures[i].first << " element " << e;
      }
      EXPECT_GE(outcome.queue_s, 0);
      EXPECT_GT(outcome.times.compute_s, 0);
    }
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::map<std::string, float> scales_;
  std::unique_ptr<DeviceTransfers> transfers_;
  std::map<std::string, pcie::TenantId> tenant_ids_;
  std::map<std::string, std::shared_ptr<ServedModel>> models_;
};

TEST_F(ScheduledExecutorTest, EveryPolicyServesEveryTenantWithTheModelsOwnOutputs) {
  for (const std::string& policy : sched::PolicyNames()) {
    SCOPED_TRACE(policy);
    config_.policy = policy;
    auto choice = MakeInferenceExecutor(config_, tenant_ids_, *transfers_);
    ASSERT_TRUE(choice.ok()) << choice.status().ToString();
    EXPECT_EQ(choice->policy_in_effect, policy);
    EXPECT_FALSE(choice->tenants_compute_side_by_side);
    ASSERT_FALSE(choice->notes.empty());
    EXPECT_NE(choice->notes[0].find("compute scheduler, policy '" + policy + "'"), std::string::npos)
        << choice->notes[0];
    ServeAndCheck(*choice->executor, 4);
    for (const TenantRuntimeState& state : choice->executor->State()) {
      EXPECT_EQ(state.queued, 0u) << state.tenant;
      EXPECT_FALSE(state.running) << state.tenant;
      EXPECT_EQ(state.compute_share, 0.0) << state.tenant;
    }
    choice->executor->Shutdown();
    InferRequest late;
    EXPECT_EQ(choice->executor->Submit({models_.at("a"), std::move(late), [](JobOutcome) {}}).code(),
              ErrorCode::kUnavailable);
  }
}

// temporal: a request, once started, owns the device until its last kernel; tenants alternate only between
// requests. (shared would interleave their kernels.)
TEST_F(ScheduledExecutorTest, TemporalRunsWholeRequestsOneAtATime) {
  config_.policy = "temporal";
  auto device = std::make_unique<CpuSchedulerDevice>();
  CpuSchedulerDevice* cpu = device.get();
  auto executor = ScheduledExecutor::Create(config_, tenant_ids_, *transfers_, std::move(device));
  ASSERT_TRUE(executor.ok()) << executor.status().ToString();
  ServeAndCheck(**executor, 6);
  const auto order = cpu->ComputeOrder();
  const size_t steps = models_.at("a")->kernel_count();
  ASSERT_GT(steps, 1u) << "the chain must take several kernels for the test to mean something";
  ASSERT_EQ(order.size(), 6u * 3u * steps);
  std::set<sched::TenantId> tenants;
  for (size_t i = 0; i < order.size(); ++i) {
    tenants.insert(order[i].first);
    if (order[i].second == 0) continue;
    EXPECT_EQ(order[i].first, order[i - 1].first) << "kernel " << i << " of another tenant's started request";
    EXPECT_EQ(order[i].second, order[i - 1].second + 1) << "kernel " << i;
  }
  EXPECT_EQ(tenants.size(), 2u);
  EXPECT_EQ((*executor)->scheduler().invalid_decisions(), 0u);
}

TEST_F(ScheduledExecutorTest, ABackendWithoutASchedulerDeviceSaysThePolicyIsNotInEffect) {
  config_.backend = "cuda";  // this build's CUDA backend has no scheduler device yet
  config_.policy = "missile";
  auto choice = MakeInferenceExecutor(config_, tenant_ids_, *transfers_);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->policy_in_effect, "shared");
  EXPECT_TRUE(choice->tenants_compute_side_by_side);
  ASSERT_FALSE(choice->notes.empty());
  EXPECT_NE(choice->notes[0].find("policy 'missile' is NOT in effect on the cuda backend"), std::string::npos)
      << choice->notes[0];
  // The CPU models still run whole on the per-tenant workers.
  ServeAndCheck(*choice->executor, 2);
}

// Per-tenant workers: a request for an idle tenant runs inside Submit (no thread hand-off); requests from
// many threads at once queue behind it for the worker and all come back right.
TEST_F(ScheduledExecutorTest, PerTenantWorkersRunAnIdleTenantsRequestOnTheCallersThread) {
  config_.backend = "cuda";
  auto choice = MakeInferenceExecutor(config_, tenant_ids_, *transfers_);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  InferenceExecutor& executor = *choice->executor;

  Tensor x(DataType::kFloat32, {2, kWidth});
  std::copy_n(Input(0).begin(), 2 * kWidth, x.data<float>());
  InferRequest request;
  request.inputs.push_back({"x", std::move(x)});
  std::optional<JobOutcome> outcome;
  ASSERT_TRUE(
      executor.Submit({models_.at("a"), std::move(request), [&](JobOutcome o) { outcome = std::move(o); }})
          .ok());
  ASSERT_TRUE(outcome.has_value()) << "ran inside Submit";
  ASSERT_TRUE(outcome->outputs.ok());
  EXPECT_EQ(outcome->queue_s, 0);

  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) clients.emplace_back([&] { ServeAndCheck(executor, 5); });
  for (std::thread& client : clients) client.join();
  // The last callback runs just before its tenant counts as idle again.
  const auto idle = [&] {
    for (const TenantRuntimeState& state : executor.State()) {
      if (state.queued != 0 || state.running) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!idle() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(idle());
  executor.Shutdown();
  InferRequest late;
  EXPECT_EQ(executor.Submit({models_.at("a"), std::move(late), [](JobOutcome) {}}).code(),
            ErrorCode::kUnavailable);
}

// Records what the hooks are told; a tenant's BeforeRun can be held until released, to keep it running.
class RecordingHooks final : public TenantRunHooks {
 public:
  void BeforeRun(const std::string& tenant, ServedModel&) override {
    std::unique_lock lock(mutex_);
    if (tenant != hold_) return;
    held_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return hold_.empty(); });
  }
  void AfterRun(const std::string& tenant, ServedModel&, const TenantRun& run) override {
    std::lock_guard lock(mutex_);
    runs.emplace_back(tenant, run.contended);
    EXPECT_GT(run.compute_s, 0);
  }
  void Hold(const std::string& tenant) {
    std::lock_guard lock(mutex_);
    hold_ = tenant;
    held_ = false;
  }
  void WaitHeld() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    hold_.clear();
    changed_.notify_all();
  }
  std::pair<std::string, bool> Last() {
    std::lock_guard lock(mutex_);
    return runs.back();
  }

  std::vector<std::pair<std::string, bool>> runs;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string hold_;
  bool held_ = false;
};

TEST_F(ScheduledExecutorTest, PerTenantWorkersTellHooksWhetherABeTenantWasBusyDuringARun) {
  RecordingHooks hooks;
  PerTenantWorkers workers(tenant_ids_, *transfers_, {"batch"}, &hooks);
  const auto& camera = models_.at("a");
  const auto& batch = models_.at("b");

  ServeOne(workers, camera, 0);
  EXPECT_EQ(hooks.Last(), std::make_pair(std::string("camera"), false)) << "alone";

  // A BE request runs (held in its BeforeRun) when the LS request starts: contended.
  hooks.Hold("batch");
  std::thread be([&] { ServeOne(workers, batch, 1); });
  hooks.WaitHeld();
  ServeOne(workers, camera, 2);
  EXPECT_EQ(hooks.Last(), std::make_pair(std::string("camera"), true)) << "BE running at its start";
  hooks.Release();
  be.join();

  // The LS request starts alone (held), and a BE request arrives before it ends: contended.
  hooks.Hold("camera");
  std::thread ls([&] { ServeOne(workers, camera, 3); });
  hooks.WaitHeld();
  ServeOne(workers, batch, 4);
  hooks.Release();
  ls.join();
  EXPECT_EQ(hooks.Last(), std::make_pair(std::string("camera"), true)) << "BE submitted while it ran";

  ServeOne(workers, camera, 5);
  EXPECT_EQ(hooks.Last(), std::make_pair(std::string("camera"), false)) << "alone again";
  EXPECT_EQ(hooks.runs.size(), 6u);
  workers.Shutdown();
}

// What the server's L2 set-aside asks of the device, recorded; weights at made-up addresses per model.
class FakeL2Device final : public L2SetAsideDevice {
 public:
  memory::L2Limits limits() const override { return {37 * kMiB + kMiB / 2, 128 * kMiB}; }
  std::string Describe() const override { return "fake L2"; }
  Result<std::vector<memory::HotRegion>> WeightRegions(const ServedModel& model) const override {
    return std::vector<memory::HotRegion>{{model.instance_id() << 32, 4 * kMiB, 1.0}};
  }
  void Track(const std::vector<std::shared_ptr<ServedModel>>& models) override {
    tracked.clear();
    for (const auto& model : models) tracked.push_back(model->instance_id());
  }
  Status SetPersistingLimit(uint64_t bytes) override {
    limit = bytes;
    return Status::Ok();
  }
  Status ResetPersistingLines() override {
    ++resets;
    return Status::Ok();
  }
  Status SetModelWindow(uint64_t instance, const memory::WindowChoice& window) override {
    windows[instance] = window.bytes;
    return Status::Ok();
  }

  static constexpr uint64_t kMiB = uint64_t{1} << 20;
  std::vector<uint64_t> tracked;
  uint64_t limit = 0;
  int resets = 0;
  std::map<uint64_t, uint64_t> windows;  // bytes by instance
};

TEST_F(ScheduledExecutorTest, TheL2SetAsideFollowsTheLoadedModelsAndTheirRequests) {
  auto device = std::make_unique<FakeL2Device>();
  FakeL2Device& fake = *device;
  L2SetAsideSettings settings;
  settings.tenants = {{"camera", memory::L2SetAsideMode::kOn, std::nullopt}};
  settings.any_enabled = true;
  std::vector<std::string> log;
  L2SetAsideServing l2(settings, {}, std::move(device),
                       [&](const std::string& line) { log.push_back(line); });
  config_.backend = "cuda";  // per-tenant workers, as the CUDA backend runs them
  auto choice = MakeInferenceExecutor(config_, tenant_ids_, *transfers_, &l2);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();

  std::vector<std::shared_ptr<ServedModel>> loaded = {models_.at("a"), models_.at("b"), models_.at("c")};
  l2.ModelsChanged([&] { return loaded; });
  EXPECT_EQ(fake.tracked.size(), 3u);
  EXPECT_EQ(fake.limit, 4 * FakeL2Device::kMiB) << "camera's model a: 4 MiB of weights, covered whole";
  EXPECT_TRUE(fake.windows.empty()) << "windows wait for their model's next request";

  ServeOne(*choice->executor, models_.at("b"), 0);
  ServeOne(*choice->executor, models_.at("a"), 1);
  ServeOne(*choice->executor, models_.at("a"), 2);
  ASSERT_EQ(fake.windows.size(), 1u) << "only the LS tenant's model gets a window, once";
  EXPECT_EQ(fake.windows.at(models_.at("a")->instance_id()), 4 * FakeL2Device::kMiB);
  const std::vector<memory::L2TenantReport> report = l2.Report();
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].state, memory::L2TenantState::kOn);
  EXPECT_TRUE(report[0].active);
  EXPECT_EQ(report[0].requests_settling + report[0].requests_uncontended, 2u);

  // Model a unloaded: nothing of camera is left to set aside.
  loaded = {models_.at("b"), models_.at("c")};
  l2.ModelsChanged([&] { return loaded; });
  EXPECT_EQ(fake.limit, 0u);
  EXPECT_EQ(l2.persisting_limit(), 0u);
  EXPECT_FALSE(l2.Report()[0].active);
  EXPECT_FALSE(log.empty());
  choice->executor->Shutdown();
}

#ifdef MISSILE_HAVE_CUDA
// The CUDA side of the server's set-aside on a served model: where its weights lie, its window on its
// session's stream, and its next request captured again with it (same outputs). Skipped where there is no
// GPU.
TEST_F(ScheduledExecutorTest, TheCudaL2DeviceSetsAServedModelsWindowOnItsStream) {
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) != cudaSuccess || gpus == 0) {
    (void)cudaGetLastError();
    GTEST_SKIP() << "no GPU here, CUDA L2 set-aside test skipped";
  }
  ModelConfig config = Model("a", "camera", "a.onnx");
  config.gpu.cuda_graph = true;
  config.gpu.allow_tf32 = false;
  runtime::SessionOptions base;
  base.backend = "cuda";
  auto loaded = ServedModel::Load(config, base);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::shared_ptr<ServedModel> model(std::move(loaded).value());
  auto created = CudaL2SetAsideDevice::Create();
  if (!created.ok() && created.status().code() == ErrorCode::kUnavailable)
    GTEST_SKIP() << created.status().message();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  CudaL2SetAsideDevice& device = **created;
  EXPECT_GT(device.limits().persisting_max_bytes, 0u);

  auto regions = device.WeightRegions(*model);
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  uint64_t bytes = 0;
  for (const memory::HotRegion& region : *regions) bytes += region.bytes;
  EXPECT_EQ(bytes, model->footprint().weights_bytes) << "the regions are the weights the footprint counts";

  const auto serve = [&](int r) {
    ExecutionTimes times;
    auto outputs = model->Execute(Request(r), *transfers_, tenant_ids_.at("camera"), &times);
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
    const std::vector<float> expected = Reference(Input(r), 1.0f);
    const Tensor& y = (*outputs)[0].tensor;
    for (size_t e = 0; e < expected.size(); ++e) EXPECT_NEAR(y.data<float>()[e], expected[e], 1e-3f) << e;
  };
  serve(0);  // captured without a window

  device.Track({model});
  ASSERT_TRUE(device.SetPersistingLimit(uint64_t{1} << 20).ok());
  const memory::WindowChoice window =
      memory::ChooseAccessWindow(*regions, uint64_t{1} << 20, device.limits().max_window_bytes);
  ASSERT_GT(window.bytes, 0u);
  ASSERT_TRUE(device.SetModelWindow(model->instance_id(), window).ok());
  const auto* backend = dynamic_cast<const runtime::cuda::CudaBackend*>(&model->session().backend());
  ASSERT_NE(backend, nullptr);
  auto on_stream = device::cuda::GetStreamWindow(backend->context().stream());
  ASSERT_TRUE(on_stream.ok()) << on_stream.status().ToString();
  EXPECT_EQ(on_stream->base, window.base);
  EXPECT_EQ(on_stream->bytes, window.bytes);
  serve(1);  // captured again, with the window
  serve(2);  // replayed

  ASSERT_TRUE(device.SetModelWindow(model->instance_id(), {}).ok());
  on_stream = device::cuda::GetStreamWindow(backend->context().stream());
  ASSERT_TRUE(on_stream.ok());
  EXPECT_EQ(on_stream->bytes, 0u);
  serve(3);
  EXPECT_TRUE(device.ResetPersistingLines().ok());
  EXPECT_TRUE(device.SetPersistingLimit(0).ok());
  EXPECT_EQ(device.SetModelWindow(model->instance_id() + 1000, {}).code(), ErrorCode::kNotFound);
}
#endif  // MISSILE_HAVE_CUDA

}  // namespace
}  // namespace missile::server
