// The index arithmetic of the GPU data-movement kernels (ops/movement_plan.h, ops/index_map_plan.h,
// ops/resize_linear_taps.h), checked on the CPU against explicit multi-index arithmetic.
#include "ops/movement_plan.h"

#include <gtest/gtest.h>

#include <numeric>

#include "ops/index_map_plan.h"
#include "ops/resize_linear_taps.h"

namespace missile::ops {
namespace {

// The multi-index of row-major position `linear` in `shape`.
std::vector<int64_t> Unravel(const Shape& shape, int64_t linear) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

// The strided view of a transpose of a contiguous `in` by `perm`, as the CUDA factory builds it.
StridedIndex TransposeIndex(const Shape& in, const std::vector<int64_t>& perm, Shape* out = nullptr) {
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  Shape shape;
  std::vector<int64_t> strides;
  for (int64_t axis : perm) {
    shape.push_back(in[static_cast<size_t>(axis)]);
    strides.push_back(in_strides[static_cast<size_t>(axis)]);
  }
  if (out != nullptr) *out = shape;
  auto index = MakeStridedIndex(shape, strides);
  EXPECT_TRUE(index.ok());
  return *index;
}

// ---- VectorizedIndex --------------------------------------------------------------------------------------

void ExpectVectorizedMatches(const StridedIndex& index, int64_t total, int64_t factor,
                             bool expect_vectorized) {
  const std::optional<StridedIndex> vectors = VectorizedIndex(index, factor);
  ASSERT_EQ(vectors.has_value(), expect_vectorized);
  if (!vectors) return;
  ASSERT_EQ(total % factor, 0);
  for (int64_t v = 0; v < total / factor; ++v) {
    for (int64_t lane = 0; lane < factor; ++lane) {
      ASSERT_EQ(vectors->Offset(v) * factor + lane, index.Offset(v * factor + lane)) << "vector " << v;
    }
  }
}

TEST(VectorizedIndexTest, AttentionTransposeKeepsHeadDimContiguous) {
  // [B, S, H, D] -> [B, H, S, D]
  const Shape in = {2, 5, 3, 8};
  const StridedIndex index = TransposeIndex(in, {0, 2, 1, 3});
  ExpectVectorizedMatches(index, NumElements(in), 4, true);
  ExpectVectorizedMatches(index, NumElements(in), 8, true);
  ExpectVectorizedMatches(index, NumElements(in), 16, false);  // D = 8 is not a multiple of 16
}

TEST(VectorizedIndexTest, InnermostDimTransposedIsNotVectorized) {
  const Shape in = {4, 8, 8};
  ExpectVectorizedMatches(TransposeIndex(in, {0, 2, 1}), NumElements(in), 2, false);
}

TEST(VectorizedIndexTest, SliceNeedsAlignedStartAndRowStride) {
  // x[:, 4:12] of [3, 16]: base 4, row stride 16, inner 8 contiguous.
  auto aligned = MakeStridedIndex(std::vector<int64_t>{3, 8}, std::vector<int64_t>{16, 1}, 4);
  ASSERT_TRUE(aligned.ok());
  ExpectVectorizedMatches(*aligned, 24, 4, true);
  ExpectVectorizedMatches(*aligned, 24, 8, false);  // base 4
  // x[:, 1:9]: base 1.
  auto unaligned = MakeStridedIndex(std::vector<int64_t>{3, 8}, std::vector<int64_t>{16, 1}, 1);
  ASSERT_TRUE(unaligned.ok());
  ExpectVectorizedMatches(*unaligned, 24, 2, false);
}

TEST(VectorizedIndexTest, ExpandAndReversedOuterDims) {
  // [1, 3, 1, 8] expanded to [2, 3, 4, 8]: broadcast dims have stride 0.
  auto expand = MakeStridedIndex(std::vector<int64_t>{2, 3, 4, 8}, std::vector<int64_t>{0, 8, 0, 1});
  ASSERT_TRUE(expand.ok());
  ExpectVectorizedMatches(*expand, 2 * 3 * 4 * 8, 4, true);
  // Rows read backwards (x[::-1, :] of [5, 8]): negative outer stride, contiguous rows.
  auto reversed = MakeStridedIndex(std::vector<int64_t>{5, 8}, std::vector<int64_t>{-8, 1}, 32);
  ASSERT_TRUE(reversed.ok());
  ExpectVectorizedMatches(*reversed, 40, 8, true);
  // Elements read backwards: no vectors.
  auto backwards = MakeStridedIndex(std::vector<int64_t>{8}, std::vector<int64_t>{-1}, 7);
  ASSERT_TRUE(backwards.ok());
  ExpectVectorizedMatches(*backwards, 8, 2, false);
}

TEST(VectorizedIndexTest, ScalarIsNotVectorized) {
  auto scalar = MakeStridedIndex(std::vector<int64_t>{}, std::vector<int64_t>{});
  ASSERT_TRUE(scalar.ok());
  EXPECT_FALSE(VectorizedIndex(*scalar, 2).has_value());
}

// ---- AsBatchedTranspose -----------------------------------------------------------------------------------

void ExpectBatchedTranspose(const Shape& in, const std::vector<int64_t>& perm, int64_t batch, int64_t rows,
                            int64_t cols) {
  const StridedIndex index = TransposeIndex(in, perm);
  const std::optional<BatchedTranspose> t = AsBatchedTranspose(index);
  ASSERT_TRUE(t.has_value()) << ShapeToString(in);
  EXPECT_EQ(t->batch, batch);
  EXPECT_EQ(t->rows, rows);
  EXPECT_EQ(t->cols, cols);
  // The tiled kernel writes out[b, c, r] = in[b, r, c]: the same element the strided view reads.
  const int64_t total = NumElements(in);
  ASSERT_EQ(t->batch * t->rows * t->cols, total);
  for (int64_t i = 0; i < total; ++i) {
    const int64_t b = i / (t->rows * t->cols);
    const int64_t c = i / t->rows % t->cols;
    const int64_t r = i % t->rows;
    ASSERT_EQ(index.Offset(i), (b * t->rows + r) * t->cols + c) << "output " << i;
  }
}

TEST(BatchedTransposeTest, DetectsMatrixTransposes) {
  ExpectBatchedTranspose({7, 13}, {1, 0}, 1, 7, 13);
  ExpectBatchedTranspose({2, 3, 9, 16}, {0, 1, 3, 2}, 6, 9, 16);  // [B, H, S, D] -> [B, H, D, S]
  ExpectBatchedTranspose({2, 4, 5, 3}, {0, 3, 1, 2}, 2, 20, 3);   // NHWC -> NCHW
  ExpectBatchedTranspose({2, 3, 4, 5}, {0, 2, 3, 1}, 2, 3, 20);   // NCHW -> NHWC
  ExpectBatchedTranspose({1, 6, 1, 10}, {0, 3, 2, 1}, 1, 6, 10);  // size-1 dims drop out
}

TEST(BatchedTransposeTest, RejectsOtherPermutations) {
  EXPECT_FALSE(AsBatchedTranspose(TransposeIndex({2, 5, 3, 8}, {0, 2, 1, 3})).has_value());
  EXPECT_FALSE(AsBatchedTranspose(TransposeIndex({2, 3, 4}, {2, 1, 0})).has_value());
  EXPECT_FALSE(AsBatchedTranspose(TransposeIndex({2, 3, 4}, {0, 1, 2})).has_value());  // a copy
  // A slice of a transpose is not a contiguous input.
  auto sliced = MakeStridedIndex(std::vector<int64_t>{4, 3}, std::vector<int64_t>{1, 8}, 2);
  ASSERT_TRUE(sliced.ok());
  EXPECT_FALSE(AsBatchedTranspose(*sliced).has_value());
}

// ---- TileIndex --------------------------------------------------------------------------------------------

void ExpectTileMatches(const Shape& in, const Shape& repeats, int expected_rank = -1) {
  auto index = MakeTileIndex(in, repeats);
  ASSERT_TRUE(index.ok()) << index.status().message();
  if (expected_rank >= 0) {
    EXPECT_EQ(index->rank, expected_rank);
  }
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[d] * repeats[d];
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  for (int64_t i = 0; i < NumElements(out); ++i) {
    const std::vector<int64_t> j = Unravel(out, i);
    int64_t expected = 0;
    for (size_t d = 0; d < in.size(); ++d) expected += j[d] % in[d] * in_strides[d];
    ASSERT_EQ(index->Offset(i), expected) << "output " << i << " of " << ShapeToString(out);
  }
}

TEST(TileIndexTest, MatchesModuloIndexing) {
  ExpectTileMatches({2, 3}, {2, 3});
  ExpectTileMatches({1, 3, 1}, {2, 1, 4});
  ExpectTileMatches({3}, {2}, 1);
  ExpectTileMatches({2, 3, 4}, {1, 1, 1}, 1);  // a copy
  ExpectTileMatches({2, 3, 4}, {3, 1, 1}, 1);  // tiling the outermost dim of a contiguous run
  ExpectTileMatches({2, 3, 4}, {1, 2, 1}, 2);
  ExpectTileMatches({2, 1, 2, 1, 2, 1, 2}, {2, 2, 2, 2, 2, 2, 2}, 7);
  ExpectTileMatches({1, 1, 3}, {2, 3, 1}, 2);  // tiled broadcast dims merge into one
  ExpectTileMatches({}, {});
}

TEST(TileIndexTest, RefusesTooManyTiledDims) {
  const Shape in(9, 2), repeats(9, 2);
  EXPECT_FALSE(MakeTileIndex(in, repeats).ok());
}

// ---- AxisPartBatch, CommonVectorBytes ---------------------------------------------------------------------

TEST(AxisPartBatchTest, FindsTheOwningPartAndSkipsEmptyOnes) {
  const std::vector<int64_t> sizes = {3, 0, 2, 0, 0, 5, 1, 0};
  AxisPartBatch batch;
  batch.count = static_cast<int>(sizes.size());
  batch.begin[0] = 10;  // a batch after earlier parts
  for (size_t k = 0; k < sizes.size(); ++k) batch.begin[k + 1] = batch.begin[k] + sizes[k];
  for (int64_t p = batch.begin[0]; p < batch.begin[batch.count]; ++p) {
    const int k = batch.Find(p);
    ASSERT_LE(batch.begin[k], p);
    ASSERT_LT(p, batch.begin[k + 1]) << "position " << p << " found part " << k;
  }
}

TEST(AxisPartBatchTest, ManyParts) {
  AxisPartBatch batch;
  batch.count = kMaxAxisParts;
  for (int k = 0; k < kMaxAxisParts; ++k) batch.begin[k + 1] = batch.begin[k] + (k % 3);
  for (int64_t p = 0; p < batch.begin[batch.count]; ++p) {
    const int k = batch.Find(p);
    ASSERT_TRUE(batch.begin[k] <= p && p < batch.begin[k + 1]) << p;
  }
}

TEST(CommonVectorBytesTest, WidestDividingPowerOfTwo) {
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{64, 128}), 16);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{64, 24}), 8);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{12}), 4);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{6, 16}), 2);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{3}), 1);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{0}), 16);
  EXPECT_EQ(CommonVectorBytes(std::vector<int64_t>{32}, 8), 8);
}

// ---- PlanIndexMap -----------------------------------------------------------------------------------------

// A pad of `in` by `begin` / `end` (negative crops) in constant (fill) or edge mode.
void ExpectPadMatches(const Shape& in, const Shape& begin, const Shape& end, bool edge, int expected_rank) {
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[d] + begin[d] + end[d];
  auto source = [&](size_t d, int64_t j) -> int64_t {
    const int64_t i = j - begin[d];
    if (i >= 0 && i < in[d]) return i;
    return edge ? std::clamp<int64_t>(i, 0, in[d] - 1) : -1;
  };
  auto plan = PlanIndexMap(in, out, source);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->index.rank, expected_rank);
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  for (int64_t i = 0; i < NumElements(out); ++i) {
    const std::vector<int64_t> j = Unravel(out, i);
    int64_t expected = 0;
    for (size_t d = 0; d < in.size() && expected >= 0; ++d) {
      const int64_t s = source(d, j[d]);
      expected = s < 0 ? -1 : expected + s * in_strides[d];
    }
    ASSERT_EQ(plan->index.Offset(i, plan->table.data()), expected) << "output " << i;
  }
}

TEST(IndexMapPlanTest, PadMatchesPerDimMaps) {
  ExpectPadMatches({1, 2, 4, 5}, {0, 0, 1, 2}, {0, 0, 2, 1}, false, 3);  // [N*C] identity, H, W mapped
  ExpectPadMatches({2, 3}, {1, 0}, {0, 2}, false, 2);
  ExpectPadMatches({1, 3, 2, 2}, {0, 1, 0, 0}, {0, 2, 0, 0}, false, 2);  // C mapped, [H*W] identity
  ExpectPadMatches({2, 3, 7}, {0, 0, 3}, {0, 0, 2}, true, 2);
  ExpectPadMatches({3, 6}, {-1, 0}, {-1, 0}, false, 2);         // crop
  ExpectPadMatches({2, 3, 4}, {0, 0, 0}, {0, 0, 0}, false, 1);  // no pad: a copy
  ExpectPadMatches({1, 1}, {0, 0}, {0, 0}, false, 0);
  ExpectPadMatches({0, 3}, {2, 0}, {0, 0}, false, 2);  // an empty dim padded: all fill
}

TEST(IndexMapPlanTest, NearestUpsampleTable) {
  // Nearest 2x upsampling of the last dim: map j -> j / 2.
  const Shape in = {2, 3}, out = {2, 6};
  auto plan = PlanIndexMap(in, out, [](size_t d, int64_t j) { return d == 1 ? j / 2 : j; });
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->index.rank, 2);
  EXPECT_EQ(plan->table, (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
  for (int64_t i = 0; i < 12; ++i)
    EXPECT_EQ(plan->index.Offset(i, plan->table.data()), i / 6 * 3 + i % 6 / 2);
}

// ---- AxisLinearTaps ---------------------------------------------------------------------------------------

TEST(LinearTapsTest, HalfPixelUpsampleClampsAtTheEdges) {
  ResizeGeometry g;
  g.mode = ResizeGeometry::Mode::kLinear;
  g.transform = ResizeGeometry::Transform::kHalfPixel;
  g.input = {1, 1, 2, 4};
  g.output = {1, 1, 4, 8};
  g.scales = {1.0f, 1.0f, 2.0f, 2.0f};
  const LinearTaps taps = AxisLinearTaps(g, 3);
  // x_in = (x + 0.5) / 2 - 0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25, ..., 3.25 (clamped to 3).
  EXPECT_EQ(taps.lo, (std::vector<int64_t>{0, 0, 0, 1, 1, 2, 2, 3}));
  EXPECT_EQ(taps.hi, (std::vector<int64_t>{1, 1, 1, 2, 2, 3, 3, 3}));
  EXPECT_EQ(taps.weight, (std::vector<float>{0.0f, 0.25f, 0.75f, 0.25f, 0.75f, 0.25f, 0.75f, 0.0f}));
}

}  // namespace
}  // namespace missile::ops
