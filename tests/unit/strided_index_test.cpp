// The index arithmetic every strided GPU kernel runs (ops/strided_index.h), checked on the CPU against a
// naive nested loop.
#include "ops/strided_index.h"

#include <gtest/gtest.h>

namespace missile::ops {
namespace {

// Offsets by walking every coordinate of `sizes` in row-major order.
std::vector<int64_t> NaiveOffsets(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                                  int64_t base) {
  int64_t total = 1;
  for (int64_t s : sizes) total *= s;
  std::vector<int64_t> offsets;
  std::vector<int64_t> coordinate(sizes.size(), 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = base;
    for (size_t d = 0; d < sizes.size(); ++d) offset += coordinate[d] * strides[d];
    offsets.push_back(offset);
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++coordinate[d] < sizes[d]) break;
      coordinate[d] = 0;
    }
  }
  return offsets;
}

void ExpectMatchesNaive(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                        int64_t base = 0) {
  auto index = MakeStridedIndex(sizes, strides, base);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  const std::vector<int64_t> want = NaiveOffsets(sizes, strides, base);
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(index->Offset(static_cast<int64_t>(i)), want[i]) << "at " << i;
}

TEST(StridedIndexTest, ContiguousCopyMergesToOneDim) {
  auto index =
      MakeStridedIndex(std::vector<int64_t>{2, 3, 4}, ContiguousStrides(std::vector<int64_t>{2, 3, 4}));
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->rank, 1);
  EXPECT_EQ(index->sizes[0], 24);
  ExpectMatchesNaive({2, 3, 4}, {12, 4, 1});
}

TEST(StridedIndexTest, BroadcastBiasOverNchw) {
  const std::vector<int64_t> out = {2, 5, 3, 3};
  const std::vector<int64_t> strides = BroadcastStrides(std::vector<int64_t>{1, 5, 1, 1}, out);
  EXPECT_EQ(strides, (std::vector<int64_t>{0, 1, 0, 0}));
  ExpectMatchesNaive(out, strides);
}

TEST(StridedIndexTest, BroadcastAlignsToTheRight) {
  const std::vector<int64_t> out = {4, 2, 7};
  const std::vector<int64_t> strides = BroadcastStrides(std::vector<int64_t>{7}, out);
  EXPECT_EQ(strides, (std::vector<int64_t>{0, 0, 1}));
  ExpectMatchesNaive(out, strides);
}

TEST(StridedIndexTest, TransposeAndNegativeStepSlice) {
  // [B,S,H,D] -> [B,H,S,D]: the transformer head split.
  ExpectMatchesNaive({2, 3, 5, 4}, {60, 4, 12, 1});
  // x[::-1] along the middle dim of [3,5,2]: base at the last row, stride -2.
  ExpectMatchesNaive({3, 5, 2}, {10, -2, 1}, 8);
}

TEST(StridedIndexTest, SizeOneDimsAndScalars) {
  ExpectMatchesNaive({1, 1, 6, 1}, {0, 0, 1, 0});
  auto scalar = MakeStridedIndex(std::vector<int64_t>{}, std::vector<int64_t>{}, 5);
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->rank, 0);
  EXPECT_EQ(scalar->Offset(0), 5);
}

TEST(StridedIndexTest, RefusesMoreDimsThanKernelsIndex) {
  // Alternating strides cannot merge: nine dims stay nine.
  std::vector<int64_t> sizes(kMaxIndexRank + 1, 2);
  std::vector<int64_t> strides;
  for (size_t d = 0; d < sizes.size(); ++d) strides.push_back(d % 2 == 0 ? 1000 : 1);
  EXPECT_FALSE(MakeStridedIndex(sizes, strides).ok());
}

}  // namespace
}  // namespace missile::ops
