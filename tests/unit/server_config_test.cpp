#include "server/server_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/byte_size.h"
#include "server/scheduling_policy.h"

namespace missile::server {
namespace {

constexpr const char* kFullConfig = R"({
  "server": {"host": "0.0.0.0", "port": 9000, "http_threads": 64, "max_body_bytes": "8MiB",
             "keep_alive_timeout_s": 3, "backend": "cpu", "blas_threads": 2},
  "policy": "orion",
  "tenants": [
    {"name": "camera", "class": "LS", "vram_quota": "2GiB", "pcie_nice": -5, "sm_min": 16, "sm_max": 64,
     "latency_target_ms": 12.5},
    {"name": "batch", "class": "be", "vram_quota": 1048576}
  ],
  "models": [
    {"name": "resnet50", "tenant": "camera", "path": "zoo/resnet50.onnx"},
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
  EXPECT_EQ(config->backend, "cpu");
  EXPECT_EQ(config->blas_threads, 2);
  EXPECT_EQ(config->policy, SchedulingPolicy::kOrion);

  ASSERT_EQ(config->tenants.size(), 2u);
  const TenantConfig& camera = config->tenants[0];
  EXPECT_EQ(camera.name, "camera");
  EXPECT_EQ(camera.tenant_class, TenantClass::kLatencySensitive);
  EXPECT_EQ(*camera.vram_quota_bytes, uint64_t{2} << 30);
  EXPECT_EQ(camera.pcie_nice, -5);
  EXPECT_EQ(camera.sm_min, 16);
  EXPECT_EQ(*camera.sm_max, 64);
  EXPECT_DOUBLE_EQ(*camera.latency_target_ms, 12.5);
  const TenantConfig& batch = config->tenants[1];
  EXPECT_EQ(batch.tenant_class, TenantClass::kBestEffort);
  EXPECT_EQ(*batch.vram_quota_bytes, 1048576u);
  EXPECT_EQ(batch.pcie_nice, 0);
  EXPECT_FALSE(batch.sm_max.has_value());
  EXPECT_FALSE(batch.latency_target_ms.has_value());

  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].path, "/etc/missile/zoo/resnet50.onnx");  // relative to the config's directory
  EXPECT_TRUE(config->models[0].load_at_start);
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
  EXPECT_EQ(config->policy, SchedulingPolicy::kMissile);
  EXPECT_FALSE(config->tenants[0].vram_quota_bytes.has_value());
  EXPECT_TRUE(config->models.empty());
}

// Each broken config is refused with a message naming the field.
TEST(ServerConfigTest, RefusesMistakesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"tenants": [{"name": "t", "class": "LS"}], "polcy": "missile"})", "unknown key 'polcy'"},
      {R"({"tenants": [{"name": "t", "class": "LS"}], "policy": "fifo"})", "unknown policy 'fifo'"},
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
  };
  for (const auto& [text, fragment] : cases) {
    auto config = ParseServerConfig(text, "/");
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(config.status().message().find(fragment), std::string::npos)
        << "expected '" << fragment << "' in: " << config.status().message();
  }
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

TEST(ServerConfigTest, EveryPolicyNameRoundTrips) {
  for (const char* name : {"temporal", "shared", "priority", "static", "orion", "missile"}) {
    auto policy = ParseSchedulingPolicy(name);
    ASSERT_TRUE(policy.ok()) << name;
    EXPECT_STREQ(SchedulingPolicyName(*policy), name);
  }
  EXPECT_FALSE(ParseSchedulingPolicy("Missile").ok());
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
