#include "server/server_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sched/policy.h"
#include "server/byte_size.h"

namespace missile::server {
namespace {

constexpr const char* kFullConfig = R"({
  "server": {"host": "0.0.0.0", "port": 9000, "http_threads": 64, "max_body_bytes": "8MiB",
             "keep_alive_timeout_s": 3, "backend": "cpu", "blas_threads": 2, "busy_poll_us": 80,
             "socket_buffer_bytes": "4MiB", "pinned_body_bytes": "32MiB", "gpu_scheduler": true},
  "policy": "orion",
  "tenants": [
    {"name": "camera", "class": "LS", "vram_quota": "2GiB", "pcie_nice": -5, "sm_min": 16, "sm_max": 64,
     "latency_target_ms": 12.5},
    {"name": "batch", "class": "be", "vram_quota": 1048576, "priority": -3}
  ],
  "models": [
    {"name": "resnet50", "tenant": "camera", "path": "zoo/resnet50.onnx", "precision": "fp16",
     "cuda_graph": true, "tf32": false},
    {"name": "bert", "tenant": "batch", "path": "/abs/bert.onnx", "load": false, "inputs": {"ids": [4, 128]}}
  ]
})";

TEST(ServerConfigTest, ParsesEveryField) {
  auto config = ParseServerConfig(kFullConfig, "/etc/missile");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->http.host, "0.0.0.0");
  EXPECT_EQ(config->http.port, 9000);
  EXPECT_EQ(config->http.threads, 64);
  EXPECT_EQ(config->http.max_body_bytes, uint64_t{8} << 20);
  EXPECT_EQ(config->http.keep_alive_timeout_s, 3);
  EXPECT_EQ(config->http.busy_poll_us, 80);
  EXPECT_EQ(config->http.socket_buffer_bytes, 4 << 20);
  EXPECT_EQ(config->http.pinned_body_bytes, uint64_t{32} << 20);
  EXPECT_EQ(config->backend, "cpu");
  EXPECT_EQ(config->blas_threads, 2);
  EXPECT_TRUE(config->gpu_scheduler);
  EXPECT_EQ(config->policy, "orion");

  ASSERT_EQ(config->tenants.size(), 2u);
  const TenantConfig& camera = config->tenants[0];
  EXPECT_EQ(camera.name, "camera");
  EXPECT_EQ(camera.tenant_class, TenantClass::kLatencySensitive);
  EXPECT_EQ(*camera.vram_quota_bytes, uint64_t{2} << 30);
  EXPECT_EQ(camera.pcie_nice, -5);
  EXPECT_EQ(camera.sm_min, 16);
  EXPECT_EQ(*camera.sm_max, 64);
  EXPECT_DOUBLE_EQ(*camera.latency_target_ms, 12.5);
  EXPECT_EQ(camera.priority, 0);
  const TenantConfig& batch = config->tenants[1];
  EXPECT_EQ(batch.tenant_class, TenantClass::kBestEffort);
  EXPECT_EQ(*batch.vram_quota_bytes, 1048576u);
  EXPECT_EQ(batch.pcie_nice, 0);
  EXPECT_FALSE(batch.sm_max.has_value());
  EXPECT_FALSE(batch.latency_target_ms.has_value());
  EXPECT_EQ(batch.priority, -3);

  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].path, "/etc/missile/zoo/resnet50.onnx");  // relative to the config's directory
  EXPECT_TRUE(config->models[0].load_at_start);
  EXPECT_EQ(config->models[0].gpu.precision, runtime::Precision::kFp16);
  EXPECT_TRUE(config->models[0].gpu.cuda_graph);
  EXPECT_FALSE(config->models[0].gpu.allow_tf32);
  // Defaults: fp32, kernel by kernel, TF32 allowed (as `missile run`).
  EXPECT_EQ(config->models[1].gpu.precision, runtime::Precision::kFp32);
  EXPECT_FALSE(config->models[1].gpu.cuda_graph);
  EXPECT_TRUE(config->models[1].gpu.allow_tf32);
  EXPECT_EQ(config->models[1].path, "/abs/bert.onnx");
  EXPECT_FALSE(config->models[1].load_at_start);
  EXPECT_EQ(config->models[1].input_shapes.at("ids"), (Shape{4, 128}));
  EXPECT_EQ(config->FindModel("bert")->tenant, "batch");
  EXPECT_EQ(config->FindTenant("nobody"), nullptr);
}

TEST(ServerConfigTest, DefaultsForAMinimalConfig) {
  auto config = ParseServerConfig(R"({"tenants": [{"name": "t", "class": "LS"}]})", "/");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->http.host, "127.0.0.1");
  EXPECT_EQ(config->http.port, 8000);
  EXPECT_EQ(config->http.max_body_bytes, uint64_t{64} << 20);
  EXPECT_EQ(config->policy, "missile");
  EXPECT_FALSE(config->gpu_scheduler) << "the GPU scheduler device is opt-in until measured";
  EXPECT_FALSE(config->tenants[0].vram_quota_bytes.has_value());
  EXPECT_TRUE(config->models.empty());
}

TEST(ServerConfigTest, LsTenantsGetAHigherPcieWeightUnlessConfigured) {
  auto config = ParseServerConfig(
      R"({"tenants": [{"name": "ls", "class": "LS"}, {"name": "be", "class": "BE"},
                      {"name": "ls0", "class": "LS", "pcie_nice": 0}]})",
      "/");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->tenants[0].pcie_nice, -10);
  EXPECT_EQ(config->tenants[1].pcie_nice, 0);
  EXPECT_EQ(config->tenants[2].pcie_nice, 0);
}

// Each broken config is refused with a message naming the field.
TEST(ServerConfigTest, RefusesMistakesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"tenants": [{"name": "t", "class": "LS"}], "polcy": "missile"})", "unknown key 'polcy'"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "policy": "fifo"})",
       "policy: unknown scheduling policy 'fifo' (known: temporal, shared, priority, static, orion, "
       "missile)"},
      {R"({"tenants": [{"name": "t", "class": "LS", "priority": 1001}]})",
       "tenants[0].priority: 1001 is outside"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t", "path": "x",
          "precision": "int8"}]})",
       "models[0].precision: unknown precision 'int8' (fp32 or fp16)"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t", "path": "x",
          "cuda_graph": "yes"}]})",
       "models[0].cuda_graph"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t", "path": "x",
          "tf32": 1}]})",
       "models[0].tf32"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t", "path": "x",
          "graph": true}]})",
       "unknown key 'graph'"},
      {R"({"server": {"socket_buffer_bytes": 100}, "tenants": [{"name": "t", "class": "LS"}]})",
       "server.socket_buffer_bytes: 100 is outside 4 KiB..256 MiB"},
      {R"({"server": {"socket_buffer_bytes": "1GiB"}, "tenants": [{"name": "t", "class": "LS"}]})",
       "server.socket_buffer_bytes"},
      {R"({"tenants": []})", "tenants: required"},
      {R"({"tenants": [{"name": "t", "class": "XL"}]})", "tenants[0].class: 'XL'"},
      {R"({"tenants": [{"name": "t"}]})", "tenants[0].class: required"},
      {R"({"tenants": [{"name": "a b", "class": "LS"}]})", "outside [A-Za-z0-9_.-]"},
      {R"({"tenants": [{"name": "t", "class": "LS"}, {"name": "t", "class": "BE"}]})", "declared twice"},
      {R"({"tenants": [{"name": "t", "class": "LS", "vram_quota": "2 parsecs"}]})", "tenants[0].vram_quota"},
      {R"({"tenants": [{"name": "t", "class": "LS", "vram_quota": -1}]})", "cannot be negative"},
      {R"({"tenants": [{"name": "t", "class": "LS", "pcie_nice": 20}]})",
       "tenants[0].pcie_nice: 20 is outside"},
      {R"({"tenants": [{"name": "t", "class": "LS", "sm_min": 32, "sm_max": 16}]})", "sm_max (16) is below"},
      {R"({"tenants": [{"name": "t", "class": "LS", "latency_target_ms": 0}]})",
       "latency_target_ms: must be > 0"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "u", "path": "m.onnx"}]})",
       "models[0].tenant: no tenant named 'u'"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t"}]})",
       "models[0].path: required"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "models": [{"name": "m", "tenant": "t", "path": "x",
          "inputs": {"x": [1, -3]}}]})",
       "models[0].inputs.x[1]"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "server": {"port": 70000}})", "server.port: 70000"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "server": {"backend": "tpu"}})", "server.backend"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "server": {"max_body_bytes": 0}})", "max_body_bytes"},
      {R"({"tenants": [)", "not valid JSON"},
      {R"({"tenants": [{"name": "t", "class": "LS", "l2_setaside": "maybe"}]})",
       "tenants[0].l2_setaside: 'maybe' is not an L2 set-aside mode"},
      {R"({"tenants": [{"name": "t", "class": "BE", "l2_setaside": "auto"}]})",
       "tenants[0]: only LS tenants can set L2 aside"},
      {R"({"tenants": [{"name": "t", "class": "BE", "l2_setaside_size": "8MiB"}]})",
       "tenants[0]: only LS tenants can set L2 aside"},
      {R"({"tenants": [{"name": "t", "class": "LS", "l2_setaside": "off", "l2_setaside_size": "8MiB"}]})",
       "l2_setaside_size is given but l2_setaside is off"},
      {R"({"tenants": [{"name": "t", "class": "LS", "l2_setaside_size": 0}]})",
       "tenants[0].l2_setaside_size: must be > 0"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "l2_trial": {"rounds": 3}})", "unknown key 'rounds'"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "l2_trial": {"requests_per_round": 0}})",
       "l2_trial.requests_per_round: 0 is outside"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "l2_trial": {"min_confidence": 0.5}})",
       "l2_trial.min_confidence: 0.5 is outside (0.5, 1]"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "l2_trial": {"min_gain": 1}})",
       "l2_trial.min_gain: 1 is outside [0, 1)"},
  };
  for (const auto& [text, fragment] : cases) {
    auto config = ParseServerConfig(text, "/");
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(config.status().message().find(fragment), std::string::npos)
        << "expected '" << fragment << "' in: " << config.status().message();
  }
}

TEST(ServerConfigTest, ParsesTheL2SetAsideAndItsTrial) {
  auto config = ParseServerConfig(
      R"({"l2_trial": {"requests_per_round": 150, "rounds_per_side": 4, "min_gain": 0.05,
                       "min_confidence": 0.95, "settle_requests": 3},
          "tenants": [{"name": "camera", "class": "LS", "l2_setaside": "auto", "l2_setaside_size": "16MiB"},
                      {"name": "kiosk", "class": "LS", "l2_setaside": "off"},
                      {"name": "voice", "class": "LS"},
                      {"name": "batch", "class": "BE", "l2_setaside": "off"}]})",
      "/");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->l2_trial.trial.requests_per_round, 150);
  EXPECT_EQ(config->l2_trial.trial.rounds_per_side, 4);
  EXPECT_DOUBLE_EQ(config->l2_trial.trial.decision.min_gain, 0.05);
  EXPECT_DOUBLE_EQ(config->l2_trial.trial.decision.min_confidence, 0.95);
  EXPECT_EQ(config->l2_trial.settle_requests, 3);
  EXPECT_EQ(config->tenants[0].l2_setaside, memory::L2SetAsideMode::kAuto);
  EXPECT_EQ(config->tenants[0].l2_setaside_bytes, uint64_t{16} << 20);
  EXPECT_EQ(config->tenants[1].l2_setaside, memory::L2SetAsideMode::kOff);
  EXPECT_FALSE(config->tenants[2].l2_setaside.has_value()) << "resolved later, by backend and policy";
  EXPECT_FALSE(config->tenants[2].l2_setaside_bytes.has_value());
}

TEST(ServerConfigTest, AModelDirectoryBecomesOneTenantServingEveryModel) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "missile_repo_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "beta");
  std::filesystem::create_directories(dir / "empty");
  for (const auto& file : {dir / "alpha.onnx", dir / "beta" / "model.onnx", dir / "notes.txt"}) {
    std::ofstream(file) << "x";
  }
  auto config = ConfigFromModelDirectory(dir);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].name, "alpha");
  EXPECT_EQ(config->models[0].path, dir / "alpha.onnx");
  EXPECT_EQ(config->models[1].name, "beta");
  EXPECT_EQ(config->models[1].path, dir / "beta" / "model.onnx");
  ASSERT_EQ(config->tenants.size(), 1u);
  EXPECT_EQ(config->models[1].tenant, config->tenants[0].name);

  std::filesystem::remove_all(dir / "beta");
  std::filesystem::remove(dir / "alpha.onnx");
  EXPECT_EQ(ConfigFromModelDirectory(dir).status().code(), ErrorCode::kNotFound);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(ConfigFromModelDirectory(dir).status().code(), ErrorCode::kNotFound);
}

// The server accepts exactly the scheduler's policies: one list of names (sched::PolicyNames).
TEST(ServerConfigTest, EveryPolicyOfTheSchedulerIsAccepted) {
  for (const std::string& name : sched::PolicyNames()) {
    auto config =
        ParseServerConfig(R"({"tenants": [{"name": "t", "class": "LS"}], "policy": ")" + name + R"("})", "/");
    ASSERT_TRUE(config.ok()) << name << ": " << config.status().message();
    EXPECT_EQ(config->policy, name);
  }
  EXPECT_FALSE(
      ParseServerConfig(R"({"tenants": [{"name": "t", "class": "LS"}], "policy": "Missile"})", "/").ok());
}

TEST(ServerConfigTest, GpuSettingsTheCpuBackendCannotHonourAreRefused) {
  auto config = ParseServerConfig(R"({"tenants": [{"name": "t", "class": "LS"}], "models": [
      {"name": "plain", "tenant": "t", "path": "a.onnx", "tf32": false},
      {"name": "half", "tenant": "t", "path": "b.onnx", "precision": "fp16"}]})",
                                  "/");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(CheckModelsRunOn(*config, "cuda").ok());
  Status on_cpu = CheckModelsRunOn(*config, "cpu");
  EXPECT_EQ(on_cpu.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(on_cpu.message().find("model 'half': precision fp16 needs the CUDA backend"), std::string::npos)
      << on_cpu.message();

  config->models[1].gpu.precision = runtime::Precision::kFp32;
  EXPECT_TRUE(CheckModelsRunOn(*config, "cpu").ok()) << "TF32 off is moot on the CPU, not an error";
  config->models[0].gpu.cuda_graph = true;
  Status graph = CheckModelsRunOn(*config, "cpu");
  EXPECT_NE(graph.message().find("model 'plain': cuda_graph needs the CUDA backend"), std::string::npos)
      << graph.message();
}

// Every example configuration parses; the GPU one is refused on the CPU backend for its fp16 CUDA-graph
// model.
TEST(ServerConfigTest, TheExamplesParse) {
  const std::filesystem::path examples = std::filesystem::path(MISSILE_SOURCE_DIR) / "examples" / "server";
  for (const char* name : {"cpu-two-tenants.json", "disb-cpu.json", "gpu-resnet50.json"}) {
    auto config = LoadServerConfig((examples / name).string());
    ASSERT_TRUE(config.ok()) << name << ": " << config.status().message();
    EXPECT_EQ(CheckModelsRunOn(*config, "cpu").ok(), std::string(name) != "gpu-resnet50.json") << name;
    EXPECT_TRUE(CheckModelsRunOn(*config, "cuda").ok()) << name;
  }
}

TEST(ByteSizeTest, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("1048576"), 1048576u);
  EXPECT_EQ(*ParseByteSize("64MiB"), uint64_t{64} << 20);
  EXPECT_EQ(*ParseByteSize("1.5 GiB"), uint64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("2gb"), 2000000000u);
  EXPECT_EQ(*ParseByteSize(" 10 KB "), 10000u);
  EXPECT_EQ(*ParseByteSize("512B"), 512u);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("MiB").ok());
  EXPECT_FALSE(ParseByteSize("1.5").ok());  // not a whole number of bytes
  EXPECT_FALSE(ParseByteSize("12 parsecs").ok());
  EXPECT_FALSE(ParseByteSize("-5MiB").ok());
  EXPECT_FALSE(ParseByteSize("99999999999 TiB").ok());
}

}  // namespace
}  // namespace missile::server
