#include "memory/vram_quota.h"

#include <gtest/gtest.h>

namespace missile::memory {
namespace {

TEST(VramQuotaTest, ChargesWithinTheLimitAndRefusesBeyondItWithoutSideEffects) {
  VramQuotaLedger ledger;
  ASSERT_TRUE(ledger.AddTenant("ls", 100).ok());
  ASSERT_TRUE(ledger.AddTenant("be", std::nullopt).ok());

  EXPECT_TRUE(ledger.Charge("ls", "model 'a'", 60).ok());
  Status refused = ledger.Charge("ls", "model 'b'", 41);
  EXPECT_EQ(refused.code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("tenant 'ls' VRAM quota exceeded"), std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("model 'b' needs 41 B"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("40 B free"), std::string::npos) << refused.message();

  // Nothing was charged by the refusal; exactly the remaining bytes still fit.
  EXPECT_EQ(ledger.Usage("ls")->used_bytes, 60u);
  EXPECT_EQ(ledger.Usage("ls")->holders.count("model 'b'"), 0u);
  EXPECT_TRUE(ledger.Charge("ls", "model 'b'", 40).ok());
  EXPECT_EQ(ledger.Usage("ls")->used_bytes, 100u);

  // Other tenants are untouched, and an unlimited tenant takes anything.
  EXPECT_EQ(ledger.Usage("be")->used_bytes, 0u);
  EXPECT_TRUE(ledger.Charge("be", "model 'huge'", uint64_t{1} << 50).ok());
  EXPECT_EQ(ledger.Usage("ls")->used_bytes, 100u);
}

TEST(VramQuotaTest, ReleaseReturnsTheHoldersBytes) {
  VramQuotaLedger ledger;
  ASSERT_TRUE(ledger.AddTenant("t", 10).ok());
  ASSERT_TRUE(ledger.Charge("t", "x", 7).ok());
  EXPECT_EQ(ledger.Charge("t", "y", 4).code(), ErrorCode::kResourceExhausted);
  ASSERT_TRUE(ledger.Release("t", "x").ok());
  EXPECT_EQ(ledger.Usage("t")->used_bytes, 0u);
  EXPECT_TRUE(ledger.Charge("t", "y", 10).ok());
  EXPECT_EQ(ledger.Release("t", "x").code(), ErrorCode::kNotFound);
}

TEST(VramQuotaTest, RejectsUnknownTenantsDuplicateHoldersAndDuplicateTenants) {
  VramQuotaLedger ledger;
  ASSERT_TRUE(ledger.AddTenant("t", 10).ok());
  EXPECT_EQ(ledger.AddTenant("t", 20).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ledger.Charge("nobody", "x", 1).code(), ErrorCode::kNotFound);
  EXPECT_EQ(ledger.Usage("nobody").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ledger.Charge("t", "x", 1).ok());
  EXPECT_EQ(ledger.Charge("t", "x", 1).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ledger.Usage("t")->used_bytes, 1u);
}

TEST(VramQuotaTest, ZeroQuotaAdmitsOnlyEmptyCharges) {
  VramQuotaLedger ledger;
  ASSERT_TRUE(ledger.AddTenant("t", 0).ok());
  EXPECT_TRUE(ledger.Charge("t", "empty", 0).ok());
  EXPECT_EQ(ledger.Charge("t", "one", 1).code(), ErrorCode::kResourceExhausted);
}

TEST(VramQuotaTest, SnapshotListsTenantsByName) {
  VramQuotaLedger ledger;
  ASSERT_TRUE(ledger.AddTenant("b", 5).ok());
  ASSERT_TRUE(ledger.AddTenant("a", std::nullopt).ok());
  ASSERT_TRUE(ledger.Charge("b", "m", 3).ok());
  const auto snapshot = ledger.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].tenant, "a");
  EXPECT_FALSE(snapshot[0].limit_bytes.has_value());
  EXPECT_EQ(snapshot[1].tenant, "b");
  EXPECT_EQ(snapshot[1].used_bytes, 3u);
  EXPECT_EQ(*snapshot[1].limit_bytes, 5u);
}

TEST(VramQuotaTest, FormatsBytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(uint64_t{64} << 20), "64.0 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace missile::memory
