// The L2 set-aside coordinator with a fake mechanism: what it applies where and when, per mode; the online
// trial deciding from the latencies the applied windows produce; restarts when the loaded models change;
// failures that leave tenants running without the set-aside.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "memory/l2_setaside_coordinator.h"

namespace missile::memory {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
const L2Limits kH200{37 * kMiB + kMiB / 2, 128 * kMiB};

// Remembers what the device holds and every call, and fails the calls it is told to.
class FakeMechanism final : public L2SetAsideMechanism {
 public:
  Status SetPersistingLimit(uint64_t bytes) override {
    calls.push_back("limit " + std::to_string(bytes / kMiB));
    if (fail_limit) return Error(ErrorCode::kUnavailable, "MPS holds the persisting size");
    limit = bytes;
    return Status::Ok();
  }
  Status ResetPersistingLines() override {
    calls.push_back("reset");
    ++resets;
    return Status::Ok();
  }
  Status SetModelWindow(uint64_t instance, const WindowChoice& window) override {
    calls.push_back("window " + std::to_string(instance) + " " + std::to_string(window.bytes / kMiB));
    if (fail_window) return Error(ErrorCode::kInternal, "cudaStreamSetAttribute failed");
    windows[instance] = window;
    return Status::Ok();
  }
  bool HasWindow(uint64_t instance) const {
    auto it = windows.find(instance);
    return it != windows.end() && it->second.bytes > 0;
  }

  uint64_t limit = 0;
  int resets = 0;
  std::map<uint64_t, WindowChoice> windows;
  std::vector<std::string> calls;
  bool fail_limit = false;
  bool fail_window = false;
};

L2CoordinatorOptions SmallTrial() {
  L2CoordinatorOptions options;
  options.trial.requests_per_round = 20;
  options.trial.rounds_per_side = 3;
  options.settle_requests = 2;
  return options;
}

// A model whose weights are `mib` MiB in four regions from `base`.
L2LoadedModel Model(const std::string& tenant, const std::string& name, uint64_t instance, uint64_t base,
                    uint64_t mib) {
  L2LoadedModel model{tenant, name, instance, {}};
  for (int r = 0; r < 4; ++r) model.regions.push_back({base + r * mib / 4 * kMiB, mib / 4 * kMiB, 1.0});
  return model;
}

// Serves `count` requests of model `instance`; each one's latency comes from whether its stream has a window
// (what really ran), so the trial only sees the set-aside where it was applied.
void Serve(L2SetAsideCoordinator& coordinator, const FakeMechanism& fake, const std::string& tenant,
           uint64_t instance, int count, const std::function<double(bool, int)>& latency,
           bool contended = true) {
  for (int i = 0; i < count; ++i) {
    coordinator.BeforeRequest(tenant, instance);
    coordinator.AfterRequest(tenant, latency(fake.HasWindow(instance), i), contended);
  }
}

// camera (on) and `second` (in `mode`), each with one model of 8 MiB of weights: instances 1 and 2.
std::unique_ptr<L2SetAsideCoordinator> TwoSmallTenants(FakeMechanism& fake, const std::string& second,
                                                       L2SetAsideMode mode) {
  auto coordinator = std::make_unique<L2SetAsideCoordinator>(
      std::vector<L2TenantSetting>{{"camera", L2SetAsideMode::kOn, std::nullopt},
                                   {second, mode, std::nullopt}},
      kH200, fake, SmallTrial());
  coordinator->SetModels({Model("camera", "a", 1, 0x10000000, 8), Model(second, "b", 2, 0x40000000, 8)});
  return coordinator;
}

L2TenantReport ReportOf(const L2SetAsideCoordinator& coordinator, const std::string& tenant) {
  for (const L2TenantReport& report : coordinator.Report()) {
    if (report.tenant == tenant) return report;
  }
  ADD_FAILURE() << "no report for " << tenant;
  return {};
}

TEST(L2SetAsideCoordinatorTest, AutoDropsTheSetAsideWhenItHurtsAsOnTheH200) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kAuto, std::nullopt}}, kH200, fake,
                                    SmallTrial());
  coordinator.SetModels(
      {Model("camera", "resnet50", 1, 0x10000000, 48), Model("batch", "resnet152", 2, 0x90000000, 120)});
  EXPECT_EQ(fake.limit, 0u) << "the trial starts without the set-aside";
  EXPECT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kTrial);
  EXPECT_EQ(ReportOf(coordinator, "camera").budget_bytes, kH200.persisting_max_bytes);

  // The H200's numbers: p99 11.7 ms with the set-aside beside a streaming BE, 3.2 ms without.
  std::vector<bool> modes;
  for (int i = 0; i < 1000 && ReportOf(coordinator, "camera").state == L2TenantState::kTrial; ++i) {
    coordinator.BeforeRequest("camera", 1);
    modes.push_back(fake.HasWindow(1));
    if (fake.HasWindow(1)) {
      EXPECT_EQ(fake.limit, kH200.persisting_max_bytes) << "a window runs only within the device's limit";
    }
    coordinator.AfterRequest("camera", fake.HasWindow(1) ? 11.7 : 3.2, true);
  }
  const L2TenantReport report = ReportOf(coordinator, "camera");
  ASSERT_EQ(report.state, L2TenantState::kDoNotUse);
  ASSERT_TRUE(report.decision.has_value());
  EXPECT_FALSE(report.decision->use);
  EXPECT_EQ(report.rounds.p99_with_ms, std::vector<double>(3, 11.7));
  EXPECT_EQ(report.rounds.p99_without_ms, std::vector<double>(3, 3.2));
  // Six rounds of 20 counted requests, plus two settling requests after each of the three window changes
  // (without -> with, with -> without, without -> with); the last round ran without.
  EXPECT_EQ(modes.size(), 6u * 20u + 3u * 2u);
  EXPECT_EQ(report.requests_contended, 120u);
  EXPECT_EQ(report.requests_settling, 6u);
  EXPECT_FALSE(report.active);
  EXPECT_EQ(fake.limit, 0u);

  // Decided: it stays off, request after request.
  Serve(coordinator, fake, "camera", 1, 50, [](bool with, int) { return with ? 11.7 : 3.2; });
  EXPECT_FALSE(fake.HasWindow(1));
  EXPECT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kDoNotUse);
  // The BE model's stream was never touched.
  EXPECT_EQ(fake.windows.count(2), 0u);
}

TEST(L2SetAsideCoordinatorTest, AutoKeepsTheSetAsideWhenItHelps) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kAuto, std::nullopt}}, kH200, fake,
                                    SmallTrial());
  coordinator.SetModels({Model("camera", "resnet50", 1, 0x10000000, 48)});
  Serve(coordinator, fake, "camera", 1, 200,
        [](bool with, int i) { return (with ? 2.0 : 3.0) + 0.01 * (i % 5); });
  const L2TenantReport report = ReportOf(coordinator, "camera");
  ASSERT_EQ(report.state, L2TenantState::kUse) << (report.decision ? report.decision->reason : "");
  EXPECT_TRUE(report.active);
  EXPECT_TRUE(fake.HasWindow(1));
  EXPECT_EQ(fake.limit, kH200.persisting_max_bytes);
  // 48 MiB of weights in a 37.5 MiB budget: one window over all of them, a proportional hit ratio.
  EXPECT_EQ(fake.windows[1].bytes, 48 * kMiB);
  EXPECT_NEAR(fake.windows[1].hit_ratio, 37.5 / 48.0, 1e-6);
}

TEST(L2SetAsideCoordinatorTest, OnlyRequestsServedBesideABusyBeTenantCount) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kAuto, std::nullopt}}, kH200, fake,
                                    SmallTrial());
  coordinator.SetModels({Model("camera", "resnet50", 1, 0x10000000, 48)});
  // Alone on the GPU there is nothing to protect from: the trial does not move, and runs without.
  Serve(
      coordinator, fake, "camera", 1, 500, [](bool, int) { return 1.0; }, /*contended=*/false);
  L2TenantReport report = ReportOf(coordinator, "camera");
  EXPECT_EQ(report.state, L2TenantState::kTrial);
  EXPECT_TRUE(report.rounds.p99_with_ms.empty());
  EXPECT_TRUE(report.rounds.p99_without_ms.empty());
  EXPECT_EQ(report.requests_uncontended, 500u);
  EXPECT_FALSE(fake.HasWindow(1));
  // The first contended round ends after its 20th counted request and switches to "with".
  Serve(coordinator, fake, "camera", 1, 20, [](bool, int) { return 1.0; });
  report = ReportOf(coordinator, "camera");
  EXPECT_EQ(report.rounds.p99_without_ms.size(), 1u);
  EXPECT_TRUE(report.active);
  EXPECT_FALSE(fake.HasWindow(1)) << "the window waits for the model's next request";
  coordinator.BeforeRequest("camera", 1);
  EXPECT_TRUE(fake.HasWindow(1));
}

TEST(L2SetAsideCoordinatorTest, OnAppliesAtTheFirstRequestAndOffNeverTouchesTheDevice) {
  FakeMechanism fake;
  const auto owned = TwoSmallTenants(fake, "kiosk", L2SetAsideMode::kOff);
  L2SetAsideCoordinator& coordinator = *owned;
  EXPECT_EQ(fake.limit, 8 * kMiB) << "only camera's 8 MiB are set aside; kiosk is off";
  EXPECT_TRUE(fake.windows.empty());
  Serve(coordinator, fake, "camera", 1, 30, [](bool, int) { return 1.0; });
  Serve(coordinator, fake, "kiosk", 2, 30, [](bool, int) { return 1.0; });
  EXPECT_TRUE(fake.HasWindow(1));
  EXPECT_EQ(fake.windows[1].bytes, 8 * kMiB);
  EXPECT_FLOAT_EQ(fake.windows[1].hit_ratio, 1.0f);
  EXPECT_EQ(fake.windows.count(2), 0u);
  EXPECT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kOn);
  EXPECT_TRUE(ReportOf(coordinator, "camera").active);
  EXPECT_EQ(ReportOf(coordinator, "kiosk").state, L2TenantState::kOff);
  EXPECT_EQ(ReportOf(coordinator, "kiosk").budget_bytes, 0u);
  // One window call in all: the window is set once and left alone.
  int window_calls = 0;
  for (const std::string& call : fake.calls) window_calls += call.rfind("window", 0) == 0;
  EXPECT_EQ(window_calls, 1);
}

TEST(L2SetAsideCoordinatorTest, ALoadOrUnloadRestartsTheTrialAndResetsPersistingLines) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kAuto, std::nullopt}}, kH200, fake,
                                    SmallTrial());
  const L2LoadedModel camera = Model("camera", "resnet50", 1, 0x10000000, 48);
  coordinator.SetModels({camera});
  Serve(coordinator, fake, "camera", 1, 200, [](bool with, int) { return with ? 2.0 : 3.0; });
  ASSERT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kUse);
  ASSERT_TRUE(fake.HasWindow(1));
  const int resets = fake.resets;

  // The same models again (a second notification of one load): nothing changes.
  coordinator.SetModels({camera});
  EXPECT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kUse);
  EXPECT_EQ(ReportOf(coordinator, "camera").trials_started, 1u);

  // A BE model arrives: the interference changed, so the trial starts again, without the set-aside; the
  // persisting lines are reset at once, the window goes at the tenant's next request.
  coordinator.SetModels({camera, Model("batch", "resnet152", 7, 0x90000000, 120)});
  L2TenantReport report = ReportOf(coordinator, "camera");
  EXPECT_EQ(report.state, L2TenantState::kTrial);
  EXPECT_EQ(report.trials_started, 2u);
  EXPECT_TRUE(report.rounds.p99_with_ms.empty());
  EXPECT_FALSE(report.active);
  EXPECT_EQ(fake.limit, 0u);
  EXPECT_EQ(fake.resets, resets + 1);
  EXPECT_TRUE(fake.HasWindow(1));
  coordinator.BeforeRequest("camera", 1);
  EXPECT_FALSE(fake.HasWindow(1));
}

TEST(L2SetAsideCoordinatorTest, ATenantsBudgetIsSplitBetweenItsModelsAndCappedByItsSize) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kOn, 24 * kMiB}}, kH200, fake, SmallTrial());
  coordinator.SetModels(
      {Model("camera", "big", 1, 0x10000000, 32), Model("camera", "small", 2, 0x40000000, 16)});
  EXPECT_EQ(ReportOf(coordinator, "camera").budget_bytes, 24 * kMiB) << "capped by its configured size";
  EXPECT_EQ(fake.limit, 24 * kMiB);
  Serve(coordinator, fake, "camera", 1, 1, [](bool, int) { return 1.0; });
  Serve(coordinator, fake, "camera", 2, 1, [](bool, int) { return 1.0; });
  // 24 MiB split 2:1 by weight: 16 MiB for big, 8 MiB for small, each covering whole regions at hit ratio 1
  // (the smallest window that serves as much as one over all of its weights at a lower ratio).
  EXPECT_EQ(fake.windows[1].bytes, 16 * kMiB);
  EXPECT_EQ(fake.windows[1].covered_bytes, 16 * kMiB);
  EXPECT_FLOAT_EQ(fake.windows[1].hit_ratio, 1.0f);
  EXPECT_EQ(fake.windows[2].bytes, 8 * kMiB);
  EXPECT_FLOAT_EQ(fake.windows[2].hit_ratio, 1.0f);
}

TEST(L2SetAsideCoordinatorTest, TwoLsTenantsShareTheSetAsideMaxMinFairly) {
  FakeMechanism fake;
  L2SetAsideCoordinator coordinator(
      {{"camera", L2SetAsideMode::kOn, std::nullopt}, {"voice", L2SetAsideMode::kOn, std::nullopt}}, kH200,
      fake, SmallTrial());
  coordinator.SetModels(
      {Model("camera", "resnet50", 1, 0x10000000, 48), Model("voice", "tiny", 2, 0x40000000, 8)});
  EXPECT_EQ(ReportOf(coordinator, "voice").budget_bytes, 8 * kMiB) << "covered whole";
  EXPECT_EQ(ReportOf(coordinator, "camera").budget_bytes, kH200.persisting_max_bytes - 8 * kMiB);
  EXPECT_EQ(fake.limit, kH200.persisting_max_bytes);
}

TEST(L2SetAsideCoordinatorTest, ADeviceWideFailureLeavesEveryTenantWithoutTheSetAside) {
  FakeMechanism fake;
  fake.fail_limit = true;
  std::vector<std::string> log;
  L2SetAsideCoordinator coordinator({{"camera", L2SetAsideMode::kOn, std::nullopt}}, kH200, fake,
                                    SmallTrial(), [&](const std::string& line) { log.push_back(line); });
  coordinator.SetModels({Model("camera", "resnet50", 1, 0x10000000, 48)});
  const L2TenantReport report = ReportOf(coordinator, "camera");
  EXPECT_EQ(report.state, L2TenantState::kFailed);
  EXPECT_NE(report.failure.find("MPS holds the persisting size"), std::string::npos) << report.failure;
  EXPECT_FALSE(report.active);
  // Its requests still run, without a window.
  Serve(coordinator, fake, "camera", 1, 10, [](bool, int) { return 1.0; });
  EXPECT_FALSE(fake.HasWindow(1));
  bool logged = false;
  for (const std::string& line : log) logged |= line.find("runs without it") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST(L2SetAsideCoordinatorTest, AWindowFailureFailsThatTenantOnly) {
  FakeMechanism fake;
  const auto owned = TwoSmallTenants(fake, "voice", L2SetAsideMode::kOn);
  L2SetAsideCoordinator& coordinator = *owned;
  Serve(coordinator, fake, "voice", 2, 1, [](bool, int) { return 1.0; });
  fake.fail_window = true;
  Serve(coordinator, fake, "camera", 1, 5, [](bool, int) { return 1.0; });
  EXPECT_EQ(ReportOf(coordinator, "camera").state, L2TenantState::kFailed);
  EXPECT_EQ(ReportOf(coordinator, "voice").state, L2TenantState::kOn);
  EXPECT_TRUE(fake.HasWindow(2));
  EXPECT_EQ(fake.limit, 8 * kMiB) << "the device keeps voice's share only";
  // One attempt, not one per request.
  int camera_calls = 0;
  for (const std::string& call : fake.calls) camera_calls += call.rfind("window 1 ", 0) == 0;
  EXPECT_EQ(camera_calls, 1);
}

TEST(L2SetAsideCoordinatorTest, ModesParseAndRefuseTheRest) {
  EXPECT_EQ(*ParseL2SetAsideMode("auto"), L2SetAsideMode::kAuto);
  EXPECT_EQ(*ParseL2SetAsideMode("on"), L2SetAsideMode::kOn);
  EXPECT_EQ(*ParseL2SetAsideMode("off"), L2SetAsideMode::kOff);
  const auto bad = ParseL2SetAsideMode("sometimes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("off, on, or auto"), std::string::npos);
}

}  // namespace
}  // namespace missile::memory
