#include "sched_policy_fixture.h"

namespace missile::sched::testing {
namespace {

TEST(PolicyFactoryTest, EveryNamedPolicyExists) {
  EXPECT_EQ(PolicyNames(),
            (std::vector<std::string>{"temporal", "shared", "priority", "static", "orion", "missile"}));
  for (const std::string& name : PolicyNames()) {
    auto policy = MakePolicy(name);
    ASSERT_TRUE(policy.ok()) << name << ": " << policy.status().ToString();
    EXPECT_EQ((*policy)->name(), name);
  }
}

TEST(PolicyFactoryTest, UnknownNamesAreRefusedWithTheKnownOnes) {
  auto policy = MakePolicy("fifo");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(policy.status().message(),
            "unknown scheduling policy 'fifo' (known: temporal, shared, priority, static, orion, missile)");
}

TEST(PolicyFactoryTest, InvalidOptionsAreRefused) {
  PolicyOptions options;
  options.missile_slowdown_budget = -0.1;
  EXPECT_EQ(MakePolicy("missile", options).status().code(), ErrorCode::kInvalidArgument);
  options = {};
  options.orion_sm_threshold = -1;
  EXPECT_EQ(MakePolicy("orion", options).status().code(), ErrorCode::kInvalidArgument);
}

TEST(PolicyFactoryTest, NoPolicyDecidesForTenantsThatAreNotReady) {
  PolicyScenarios s;
  for (const std::string& name : PolicyNames()) {
    const auto policy = Policy(name);
    const Decisions d = policy->Decide(s.View({Idle(s.ls), Running(s.be, s.be_memory, 0, s.All(), 0)}));
    EXPECT_TRUE(d.empty()) << name;
  }
}

}  // namespace
}  // namespace missile::sched::testing
