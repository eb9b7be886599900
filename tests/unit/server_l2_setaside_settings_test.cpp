// Which LS tenants set L2 aside, in which mode, on which server: the defaults a user gets and the requests a
// server that cannot honour them refuses.
#include <gtest/gtest.h>

#include "server/l2_setaside_settings.h"

namespace missile::server {
namespace {

ServerConfig TwoTenants(const std::string& backend, const std::string& policy) {
  ServerConfig config;
  config.backend = backend;
  config.policy = policy;
  TenantConfig camera;
  camera.name = "camera";
  camera.tenant_class = TenantClass::kLatencySensitive;
  TenantConfig batch;
  batch.name = "batch";
  config.tenants = {camera, batch};
  return config;
}

TEST(L2SetAsideSettingsTest, LsTenantsTryItByDefaultUnderMissileOnTheGpu) {
  auto settings = ResolveL2SetAside(TwoTenants("cuda", "missile"));
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  ASSERT_EQ(settings->tenants.size(), 1u) << "BE tenants have no set-aside";
  EXPECT_EQ(settings->tenants[0].name, "camera");
  EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kAuto);
  EXPECT_FALSE(settings->tenants[0].max_bytes.has_value());
  EXPECT_TRUE(settings->any_enabled);
  ASSERT_EQ(settings->notes.size(), 1u);
  EXPECT_EQ(settings->notes[0],
            "L2 set-aside: tenant camera auto (the default for LS tenants under policy missile)");
}

TEST(L2SetAsideSettingsTest, OtherPoliciesGoWithoutUnlessATenantAsks) {
  ServerConfig config = TwoTenants("cuda", "priority");
  auto settings = ResolveL2SetAside(config);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kOff);
  EXPECT_FALSE(settings->any_enabled);
  // A size says the tenant wants one: it is tried.
  config.tenants[0].l2_setaside_bytes = uint64_t{8} << 20;
  settings = ResolveL2SetAside(config);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kAuto);
  EXPECT_EQ(settings->tenants[0].max_bytes, uint64_t{8} << 20);
  EXPECT_NE(settings->notes[0].find("l2_setaside_size given), at most 8.0 MiB"), std::string::npos)
      << settings->notes[0];
  // An explicit mode wins over the policy's default.
  config.tenants[0].l2_setaside = memory::L2SetAsideMode::kOn;
  settings = ResolveL2SetAside(config);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kOn);
  config = TwoTenants("cuda", "missile");
  config.tenants[0].l2_setaside = memory::L2SetAsideMode::kOff;
  settings = ResolveL2SetAside(config);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kOff);
  EXPECT_FALSE(settings->any_enabled);
}

TEST(L2SetAsideSettingsTest, TheCpuBackendAndTheGpuSchedulerHaveNoneAndRefuseRequestsForOne) {
  for (const bool cpu : {true, false}) {
    SCOPED_TRACE(cpu ? "cpu backend" : "gpu scheduler");
    ServerConfig config = TwoTenants(cpu ? "cpu" : "cuda", "missile");
    config.gpu_scheduler = !cpu;
    auto settings = ResolveL2SetAside(config);
    ASSERT_TRUE(settings.ok());
    EXPECT_EQ(settings->tenants[0].mode, memory::L2SetAsideMode::kOff);
    EXPECT_FALSE(settings->any_enabled);
    ASSERT_EQ(settings->notes.size(), 1u);
    EXPECT_NE(settings->notes[0].find("L2 set-aside: unavailable: "), std::string::npos);
    EXPECT_NE(settings->notes[0].find(cpu ? "the cpu backend has no GPU L2" : "server.gpu_scheduler"),
              std::string::npos)
        << settings->notes[0];

    for (const auto mode : {memory::L2SetAsideMode::kOn, memory::L2SetAsideMode::kAuto}) {
      config.tenants[0].l2_setaside = mode;
      auto refused = ResolveL2SetAside(config);
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(refused.status().message().find("tenant 'camera': the L2 set-aside is not available"),
                std::string::npos)
          << refused.status().message();
    }
    config.tenants[0].l2_setaside.reset();
    config.tenants[0].l2_setaside_bytes = uint64_t{8} << 20;
    EXPECT_FALSE(ResolveL2SetAside(config).ok());
    // Saying off where there is none is fine.
    config.tenants[0].l2_setaside_bytes.reset();
    config.tenants[0].l2_setaside = memory::L2SetAsideMode::kOff;
    EXPECT_TRUE(ResolveL2SetAside(config).ok());
  }
}

}  // namespace
}  // namespace missile::server
