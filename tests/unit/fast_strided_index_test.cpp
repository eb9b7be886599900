#include "ops/fast_strided_index.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "core/shape.h"

namespace missile::ops {
namespace {

constexpr uint32_t kMaxNumerator = 0x7fffffffu;

void ExpectDivmodExact(uint32_t d, uint32_t n) {
  const FastDivmod32 f = FastDivmod32::Make(d);
  ASSERT_EQ(f.Div(n), n / d) << n << " / " << d;
}

TEST(FastDivmod32Test, SmallDivisorsAgainstHardwareDivision) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any(0, kMaxNumerator);
  for (uint32_t d = 1; d <= 4096; ++d) {
    for (uint32_t n : {0u, 1u, d - 1, d, d + 1, 2 * d - 1, 2 * d, kMaxNumerator, kMaxNumerator - 1,
                       kMaxNumerator / d * d, kMaxNumerator / d * d - 1}) {
      ExpectDivmodExact(d, n);
    }
    for (int i = 0; i < 64; ++i) ExpectDivmodExact(d, any(rng));
  }
}

TEST(FastDivmod32Test, LargeAndPowerOfTwoDivisors) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> any(0, kMaxNumerator);
  std::vector<uint32_t> divisors = {0x7fffffffu, 0x80000000u, 0x40000001u, 0x3fffffffu, 1000003u, 65537u};
  for (int s = 0; s <= 31; ++s) {
    const uint32_t p = 1u << s;
    divisors.push_back(p);
    if (p > 1) divisors.push_back(p - 1);
    if (s < 31) divisors.push_back(p + 1);
  }
  std::uniform_int_distribution<uint32_t> any_divisor(1, 0x80000000u);
  for (int i = 0; i < 2000; ++i) divisors.push_back(any_divisor(rng));
  for (uint32_t d : divisors) {
    for (uint32_t n : {0u, 1u, d - 1, d, kMaxNumerator, kMaxNumerator - 1}) {
      if (n <= kMaxNumerator) ExpectDivmodExact(d, n);
    }
    for (int i = 0; i < 256; ++i) ExpectDivmodExact(d, any(rng));
  }
}

TEST(FastDivmod32Test, ExhaustiveForAFewDivisors) {
  // Every numerator up to 2^24 for divisors whose multipliers sit near the extremes.
  for (uint32_t d : {3u, 7u, 10u, 641u, 6700417u}) {
    const FastDivmod32 f = FastDivmod32::Make(d);
    for (uint32_t n = 0; n < (1u << 24); ++n) {
      if (f.Div(n) != n / d) FAIL() << n << " / " << d;
    }
  }
}

// Checks the fast index against the StridedIndex it came from, element by element, along with the inner
// coordinate and the run property the GPU kernels rely on: within the innermost dim, consecutive outputs
// step by inner_stride.
void ExpectSameAsStrided(const StridedIndex& index) {
  int64_t count = 1;
  for (int d = 0; d < index.rank; ++d) count *= index.sizes[d];
  const std::optional<FastStridedIndex> fast = MakeFastStridedIndex(index);
  ASSERT_TRUE(fast.has_value());
  for (int64_t i = 0; i < count; ++i) {
    int32_t inner = -1;
    ASSERT_EQ(fast->Offset(static_cast<uint32_t>(i), &inner), index.Offset(i)) << "element " << i;
    const int64_t expected_inner = index.rank == 0 ? 0 : i % index.sizes[index.rank - 1];
    ASSERT_EQ(inner, expected_inner) << "element " << i;
    for (int width : {2, 4, 8, 16}) {
      if (inner > fast->inner_size - width || i + width > count) continue;
      for (int j = 1; j < width; ++j) {
        ASSERT_EQ(index.Offset(i + j), index.Offset(i) + j * int64_t{fast->inner_stride})
            << "element " << i << " + " << j;
      }
    }
  }
}

// The input element each output element reads, by explicit multi-index arithmetic.
int64_t ReferenceBroadcastOffset(const Shape& out, const Shape& in, int64_t flat) {
  const auto out_strides = ContiguousStrides(out);
  const auto in_strides = ContiguousStrides(in);
  int64_t offset = 0;
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t index = (flat / out_strides[d]) % out[d];
    if (d >= lead && in[d - lead] != 1) offset += index * in_strides[d - lead];
  }
  return offset;
}

void ExpectBroadcastMatches(const Shape& in, const Shape& out) {
  Result<StridedIndex> index = BroadcastIndex(in, out);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  const int64_t count = NumElements(out);
  for (int64_t i = 0; i < count; ++i) {
    ASSERT_EQ(index->Offset(i), ReferenceBroadcastOffset(out, in, i))
        << ShapeToString(in) << " -> " << ShapeToString(out) << " at " << i;
  }
  ExpectSameAsStrided(*index);
}

TEST(FastStridedIndexTest, BroadcastPatterns) {
  ExpectBroadcastMatches({2, 3, 4}, {2, 3, 4});
  ExpectBroadcastMatches({}, {2, 3, 4});
  ExpectBroadcastMatches({}, {});
  ExpectBroadcastMatches({4}, {2, 3, 4});
  ExpectBroadcastMatches({3, 1}, {2, 3, 4});
  ExpectBroadcastMatches({1, 3, 1, 1}, {2, 3, 5, 7});  // bias add, NCHW
  ExpectBroadcastMatches({2, 1, 5, 7}, {2, 3, 5, 7});
  ExpectBroadcastMatches({3, 1, 5}, {3, 4, 5});
  ExpectBroadcastMatches({1, 4, 1}, {3, 4, 5});
  ExpectBroadcastMatches({2, 1, 4, 5}, {2, 3, 4, 5});
  ExpectBroadcastMatches({3, 1, 5}, {2, 3, 4, 5});
  ExpectBroadcastMatches({1, 13, 1, 3, 1}, {2, 13, 4, 3, 2});
  ExpectBroadcastMatches({7, 1, 1, 1, 1, 1, 1, 3}, {7, 2, 1, 2, 1, 2, 1, 3});
  ExpectBroadcastMatches({1, 5}, {9, 5});
  ExpectBroadcastMatches({17}, {1, 1, 17});
}

TEST(FastStridedIndexTest, ArbitraryStrides) {
  // A transpose, a reversed dim (negative stride with a base) and a strided slice.
  Result<StridedIndex> transpose =
      MakeStridedIndex(std::vector<int64_t>{4, 3, 5}, std::vector<int64_t>{5, 20, 1});
  ASSERT_TRUE(transpose.ok());
  ExpectSameAsStrided(*transpose);
  Result<StridedIndex> reversed =
      MakeStridedIndex(std::vector<int64_t>{3, 6}, std::vector<int64_t>{6, -1}, 5);
  ASSERT_TRUE(reversed.ok());
  ExpectSameAsStrided(*reversed);
  Result<StridedIndex> sliced =
      MakeStridedIndex(std::vector<int64_t>{2, 3, 4, 5}, std::vector<int64_t>{400, 60, 10, 2}, 7);
  ASSERT_TRUE(sliced.ok());
  ExpectSameAsStrided(*sliced);
}

TEST(FastStridedIndexTest, RejectsWhatDoesNotFitIn31Bits) {
  StridedIndex big;
  big.rank = 1;
  big.sizes[0] = int64_t{1} << 31;
  big.strides[0] = 1;
  EXPECT_FALSE(MakeFastStridedIndex(big).has_value());
  big.sizes[0] = std::numeric_limits<int32_t>::max();
  EXPECT_TRUE(MakeFastStridedIndex(big).has_value());

  StridedIndex far;  // few elements, but offsets beyond 2^31
  far.rank = 2;
  far.sizes[0] = 3;
  far.sizes[1] = 4;
  far.strides[0] = int64_t{1} << 30;
  far.strides[1] = 1;
  EXPECT_FALSE(MakeFastStridedIndex(far).has_value());
  far.strides[0] = (int64_t{1} << 30) - 2;
  EXPECT_TRUE(MakeFastStridedIndex(far).has_value());

  StridedIndex empty;
  empty.rank = 2;
  empty.sizes[0] = 0;
  empty.sizes[1] = int64_t{1} << 40;
  EXPECT_TRUE(MakeFastStridedIndex(empty).has_value());
}

TEST(FastStridedIndexTest, LargeTensorSpotChecks) {
  // [8, 1024, 4096] against a bias of [4096] and a column of [1024, 1]: 2^25 elements, spot-checked.
  const Shape out = {8, 1024, 4096};
  for (const Shape& in : {Shape{4096}, Shape{1024, 1}, Shape{8, 1, 4096}}) {
    Result<StridedIndex> index = BroadcastIndex(in, out);
    ASSERT_TRUE(index.ok());
    const std::optional<FastStridedIndex> fast = MakeFastStridedIndex(*index);
    ASSERT_TRUE(fast.has_value());
    std::mt19937 rng(3);
    std::uniform_int_distribution<int64_t> any(0, NumElements(out) - 1);
    for (int i = 0; i < 100000; ++i) {
      const int64_t flat = any(rng);
      ASSERT_EQ(fast->Offset(static_cast<uint32_t>(flat)), ReferenceBroadcastOffset(out, in, flat));
    }
  }
}

TEST(FastStridedIndexTest, BroadcastIndexRejectsMismatchedShapes) {
  EXPECT_FALSE(BroadcastIndex(Shape{3}, Shape{2, 4}).ok());
  EXPECT_FALSE(BroadcastIndex(Shape{2, 3, 4}, Shape{3, 4}).ok());
}

}  // namespace
}  // namespace missile::ops
