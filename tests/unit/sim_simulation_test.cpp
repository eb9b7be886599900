// The simulator: exact latencies when nothing overlaps, determinism per seed, configuration errors.
#include "sched_test_support.h"
#include "sim/simulation.h"

namespace missile::sim {
namespace {

using sched::testing::MakeKernel;
using sched::testing::MakeModel;

std::shared_ptr<sched::ModelProfile> TwoKernelModel(int batch, double input_bytes, double output_bytes) {
  auto model = MakeModel("m", {MakeKernel("a", 40, 10000, 0.2), MakeKernel("b", 60, 300, 0.7)}, batch);
  model->input_bytes = input_bytes;
  model->output_bytes = output_bytes;
  return model;
}

SimTenant Tenant(std::string name, sched::TenantClass cls, std::shared_ptr<sched::ModelProfile> model,
                 LoadKind load, double rate = 0) {
  SimTenant t;
  t.config = {std::move(name), cls, {1, sched::kAllGroups}, 0};
  t.model = std::move(model);
  t.load = load;
  t.rate = rate;
  return t;
}

TEST(SimulationTest, ALoneRequestTakesCopiesPlusLaunchesPlusKernels) {
  SimConfig config;
  config.policy = "missile";
  config.duration = std::chrono::seconds(20);
  config.warmup = Nanos(0);
  // One request per second: they never overlap.
  config.tenants = {Tenant("ls", sched::TenantClass::kLatencySensitive, TwoKernelModel(1, 1 << 20, 4000),
                           LoadKind::kPoisson, 1.0)};
  auto outcome = Simulate(config);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const TenantOutcome& ls = outcome->tenants[0];
  ASSERT_GT(ls.latency.count, 5u);
  const double copies_ms =
      (config.host_to_device.Occupancy(1 << 20) + config.device_to_host.Occupancy(4000)).count() * 1e-6;
  const double kernels_ms = (2 + 40 + 2 + 60) * 1e-3;
  EXPECT_NEAR(ls.latency.p50_ms, copies_ms + kernels_ms, 1e-5);
  EXPECT_NEAR(ls.latency.max_ms, ls.latency.p50_ms, 1e-5) << "identical requests, no overlap";
}

TEST(SimulationTest, ARequestLaunchedAsOneSegmentPaysOneLaunchLatency) {
  SimConfig config;
  config.policy = "missile";
  config.model_copies = false;
  config.duration = std::chrono::seconds(20);
  config.warmup = Nanos(0);
  config.tenants = {
      Tenant("ls", sched::TenantClass::kLatencySensitive, TwoKernelModel(1, 0, 0), LoadKind::kPoisson, 1.0)};
  config.tenants[0].config.segment_steps = 0;  // the whole request, as a CUDA graph would run it
  auto outcome = Simulate(config);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_NEAR(outcome->tenants[0].latency.p50_ms, (2 + 40 + 60) * 1e-3, 1e-5);
}

TEST(SimulationTest, AClosedLoopAloneRunsBackToBack) {
  SimConfig config;
  config.policy = "shared";
  config.model_copies = false;
  config.duration = std::chrono::seconds(2);
  config.warmup = std::chrono::milliseconds(100);
  config.tenants = {
      Tenant("be", sched::TenantClass::kBestEffort, TwoKernelModel(32, 0, 0), LoadKind::kClosedLoop)};
  auto outcome = Simulate(config);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  const double request_s = (2 + 40 + 2 + 60) * 1e-6;
  EXPECT_NEAR(outcome->tenants[0].requests_per_s, 1.0 / request_s, 1.0 / request_s * 0.001);
  EXPECT_NEAR(outcome->tenants[0].items_per_s, 32.0 / request_s, 32.0 / request_s * 0.001);
}

TEST(SimulationTest, TheSameSeedGivesTheSameRunAndAnotherSeedAnotherOne) {
  SimConfig config;
  config.duration = std::chrono::seconds(2);
  config.tenants = {Tenant("ls", sched::TenantClass::kLatencySensitive, TwoKernelModel(1, 1 << 20, 4000),
                           LoadKind::kPoisson, 3000),
                    Tenant("be", sched::TenantClass::kBestEffort, TwoKernelModel(32, 8 << 20, 1 << 16),
                           LoadKind::kClosedLoop)};
  auto a = Simulate(config);
  auto b = Simulate(config);
  config.seed = 2;
  auto c = Simulate(config);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  for (size_t t = 0; t < 2; ++t) {
    EXPECT_EQ(a->tenants[t].latency.count, b->tenants[t].latency.count);
    EXPECT_EQ(a->tenants[t].latency.p99_ms, b->tenants[t].latency.p99_ms);
    EXPECT_EQ(a->tenants[t].items_per_s, b->tenants[t].items_per_s);
  }
  EXPECT_EQ(a->gpu.kernels, b->gpu.kernels);
  EXPECT_NE(a->tenants[0].latency.count, c->tenants[0].latency.count);
}

TEST(SimulationTest, RefusesConfigurationsItCannotRun) {
  SimConfig config;
  EXPECT_EQ(Simulate(config).status().code(), ErrorCode::kInvalidArgument) << "no tenants";
  config.tenants = {
      Tenant("ls", sched::TenantClass::kLatencySensitive, TwoKernelModel(1, 0, 0), LoadKind::kPoisson, 0)};
  EXPECT_NE(Simulate(config).status().message().find("Poisson rate"), std::string::npos);
  config.tenants[0].rate = 10;
  config.policy = "nope";
  EXPECT_NE(Simulate(config).status().message().find("unknown scheduling policy 'nope'"), std::string::npos);
  config.policy = "shared";
  config.warmup = config.duration;
  EXPECT_EQ(Simulate(config).status().code(), ErrorCode::kInvalidArgument);
}

TEST(LatencySummaryTest, NearestRankPercentiles) {
  std::vector<double> samples;
  for (int i = 1; i <= 1000; ++i) samples.push_back(i);
  const LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.p50_ms, 500);
  EXPECT_EQ(s.p99_ms, 990);
  EXPECT_EQ(s.p999_ms, 999);
  EXPECT_EQ(s.max_ms, 1000);
  EXPECT_DOUBLE_EQ(s.mean_ms, 500.5);
  EXPECT_EQ(Summarize({}).count, 0u);
}

}  // namespace
}  // namespace missile::sim
