// The rules of SM partitioning that need no GPU: which group ranges get a green context, which requests for
// a range are refused, and whether a driver's split has the layout the scheduler assumes.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "device/sm_partitions.h"

namespace missile::device {
namespace {

TEST(SmPartitionsTest, H200GetsEveryPrefixEverySuffixAndTheWhole) {
  const std::vector<GroupSpan> spans = PrecreatedSpans(17);
  EXPECT_EQ(spans.size(), 33u);
  std::set<std::pair<int, int>> unique;
  for (const GroupSpan& s : spans) unique.insert({s.begin, s.end});
  EXPECT_EQ(unique.size(), spans.size());
  for (int k = 1; k < 17; ++k) {
    EXPECT_TRUE(unique.count({0, k})) << k;
    EXPECT_TRUE(unique.count({k, 17})) << k;
  }
  EXPECT_TRUE(unique.count({0, 17}));
  EXPECT_EQ(spans.back(), (GroupSpan{0, 17}));
}

TEST(SmPartitionsTest, OneGroupIsOnlyTheWhole) {
  EXPECT_EQ(PrecreatedSpans(1), (std::vector<GroupSpan>{{0, 1}}));
  EXPECT_TRUE(PrecreatedSpans(0).empty());
}

TEST(SmPartitionsTest, EveryPrecreatedSpanPassesTheCheck) {
  for (const GroupSpan& s : PrecreatedSpans(17)) {
    EXPECT_TRUE(CheckPrecreatedSpan(17, s.begin, s.end).ok()) << s.begin << "," << s.end;
  }
}

TEST(SmPartitionsTest, RangesWithoutAPartitionAreRefusedWithTheReason) {
  const Status middle = CheckPrecreatedSpan(17, 3, 9);
  EXPECT_EQ(middle.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(middle.message().find("neither a prefix"), std::string::npos) << middle.message();
  for (auto [b, e] : std::vector<std::pair<int, int>>{{0, 0}, {5, 5}, {6, 2}, {-1, 4}, {0, 18}, {17, 17}}) {
    const Status s = CheckPrecreatedSpan(17, b, e);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << b << "," << e;
    EXPECT_NE(s.message().find("empty or outside"), std::string::npos) << s.message();
  }
}

TEST(SmPartitionsTest, TheH200SplitMatchesTheLayout) {
  DriverSmSplit split{132, 8, std::vector<int>(16, 8), 4};
  EXPECT_TRUE(CheckSplitMatchesLayout(split).ok());
  DriverSmSplit even{128, 8, std::vector<int>(16, 8), 0};
  EXPECT_TRUE(CheckSplitMatchesLayout(even).ok());
}

TEST(SmPartitionsTest, ASplitUnlikeTheLayoutIsReported) {
  // Fewer groups than 132 / 8 (e.g. cluster constraints), more left over.
  DriverSmSplit fewer{132, 8, std::vector<int>(14, 8), 20};
  const Status s = CheckSplitMatchesLayout(fewer);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("20 left over"), std::string::npos) << s.message();
  // Groups of another size.
  std::vector<int> sizes(15, 8);
  sizes.push_back(16);
  EXPECT_EQ(CheckSplitMatchesLayout({132, 8, sizes, 4}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(CheckSplitMatchesLayout({0, 8, {}, 0}).code(), ErrorCode::kInvalidArgument);
}

TEST(SmPartitionsTest, GroupSizeMustSuitTheDevice) {
  EXPECT_TRUE(CheckGroupSize(8, 8, 8).ok());
  EXPECT_TRUE(CheckGroupSize(16, 8, 8).ok());
  EXPECT_EQ(CheckGroupSize(4, 8, 8).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CheckGroupSize(12, 8, 8).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CheckGroupSize(0, 2, 2).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::device
