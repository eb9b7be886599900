#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/dtype.h"
#include "core/parallel.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace missile {
namespace {

TEST(ShapeTest, BroadcastFollowsNumpy) {
  EXPECT_EQ(*BroadcastShapes(Shape{3, 1, 5}, Shape{1, 4, 1}), (Shape{3, 4, 5}));
  EXPECT_EQ(*BroadcastShapes(Shape{8, 64, 56, 56}, Shape{64, 1, 1}), (Shape{8, 64, 56, 56}));
  EXPECT_EQ(*BroadcastShapes(Shape{}, Shape{2, 3}), (Shape{2, 3}));
  auto bad = BroadcastShapes(Shape{2, 3}, Shape{4});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[2,3] and [4]"), std::string::npos);
}

TEST(ShapeTest, NormalizeAxisAcceptsNegativeAndRejectsOutOfRange) {
  EXPECT_EQ(*NormalizeAxis(-1, 4), 3);
  EXPECT_EQ(*NormalizeAxis(0, 4), 0);
  EXPECT_FALSE(NormalizeAxis(4, 4).ok());
  EXPECT_FALSE(NormalizeAxis(-5, 4).ok());
}

TEST(ShapeTest, ContiguousStrides) {
  EXPECT_EQ(ContiguousStrides(Shape{2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(NumElements(Shape{}), 1);
  EXPECT_EQ(NumElements(Shape{3, 0}), 0);
}

TEST(DtypeTest, HalfConversionRoundTripsRepresentableValues) {
  for (float v :
       {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f, 0.333251953125f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(v)), v) << v;
  }
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(std::numeric_limits<float>::quiet_NaN()))));
  // Round to nearest even: 1 + 2^-11 lies halfway between 1 and the next half, and rounds down to 1.
  EXPECT_EQ(HalfToFloat(FloatToHalf(1.0f + 1.0f / 2048)), 1.0f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(1.0f + 3.0f / 2048)), 1.0f + 2.0f / 1024);
}

TEST(DtypeTest, CastFollowsOnnxSemantics) {
  const float values[] = {1.7f, -1.7f, 0.0f, 3.0f};
  Tensor f = Tensor::FromVector<float>({4}, values);
  Tensor i = f.CastTo(DataType::kInt64);
  EXPECT_EQ(i.data<int64_t>()[0], 1);
  EXPECT_EQ(i.data<int64_t>()[1], -1);  // truncation toward zero
  Tensor b = f.CastTo(DataType::kBool);
  EXPECT_TRUE(b.data<bool>()[0]);
  EXPECT_FALSE(b.data<bool>()[2]);
}

TEST(TensorTest, ReshapeSharesBytesAndChecksCount) {
  Tensor t(DataType::kFloat32, {2, 6});
  auto r = t.Reshaped({3, 4});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->raw_data(), t.raw_data());
  EXPECT_FALSE(t.Reshaped({5}).ok());
}

TEST(ParallelTest, CoversEveryIndexExactlyOnceIncludingNestedLoops) {
  std::vector<int> hits(100000, 0);
  ParallelFor(static_cast<int64_t>(hits.size()), 1000, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
    ParallelFor(10, 1, [](int64_t, int64_t) {});  // nested: runs inline, must not deadlock
  });
  for (int h : hits) ASSERT_EQ(h, 1);
}

}  // namespace
}  // namespace missile
