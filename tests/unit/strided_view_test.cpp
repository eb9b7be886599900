// ops/strided_view.h against data movement done for real: a tensor whose elements are their own buffer
// offsets is transposed, reshaped and sliced by plain loops, and every element must sit where the view says.
#include "ops/strided_view.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

namespace missile::ops {
namespace {

// A materialized tensor of buffer offsets.
struct Offsets {
  Shape shape;
  std::vector<int64_t> values;
};

Offsets Iota(const Shape& shape) {
  Offsets t{shape, std::vector<int64_t>(static_cast<size_t>(NumElements(shape)))};
  std::iota(t.values.begin(), t.values.end(), 0);
  return t;
}

std::vector<int64_t> Unravel(int64_t linear, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

int64_t Ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t linear = 0;
  for (size_t d = 0; d < shape.size(); ++d) linear = linear * shape[d] + index[d];
  return linear;
}

Offsets Transpose(const Offsets& t, const std::vector<int64_t>& perm) {
  Offsets out;
  for (int64_t p : perm) out.shape.push_back(t.shape[static_cast<size_t>(p)]);
  out.values.resize(t.values.size());
  for (int64_t i = 0; i < static_cast<int64_t>(out.values.size()); ++i) {
    const auto index = Unravel(i, out.shape);
    std::vector<int64_t> source(index.size());
    for (size_t d = 0; d < perm.size(); ++d) source[static_cast<size_t>(perm[d])] = index[d];
    out.values[static_cast<size_t>(i)] = t.values[static_cast<size_t>(Ravel(source, t.shape))];
  }
  return out;
}

Offsets Slice(const Offsets& t, size_t dim, int64_t start, int64_t size) {
  Offsets out{t.shape, {}};
  out.shape[dim] = size;
  for (int64_t i = 0; i < NumElements(out.shape); ++i) {
    auto index = Unravel(i, out.shape);
    index[dim] += start;
    out.values.push_back(t.values[static_cast<size_t>(Ravel(index, t.shape))]);
  }
  return out;
}

void ExpectSame(const StridedView& view, const Offsets& t) {
  ASSERT_EQ(view.shape(), t.shape);
  for (int64_t i = 0; i < static_cast<int64_t>(t.values.size()); ++i) {
    ASSERT_EQ(view.OffsetOf(Unravel(i, t.shape)), t.values[static_cast<size_t>(i)]) << "element " << i;
  }
}

TEST(StridedViewTest, ContiguousIsRowMajor) {
  auto view = StridedView::Contiguous(Shape{2, 1, 3});
  ASSERT_TRUE(view.ok());
  ExpectSame(*view, Iota({2, 1, 3}));
  EXPECT_TRUE(view->sub_dims(1).empty());  // a dim of 1 has nothing to walk
  EXPECT_FALSE(StridedView::Contiguous(Shape{2, 0}).ok());
}

TEST(StridedViewTest, BertHeadSplitAndMerge) {
  // [B, S, H*D] -> Reshape [B, S, H, D] -> Transpose (0, 2, 1, 3): each head's [S, D] strided.
  const Shape linear{2, 5, 12};
  Offsets t = Iota(linear);
  auto view = StridedView::Contiguous(linear)
                  ->Reshaped(Shape{2, 5, 3, 4})
                  ->Permuted(std::vector<int64_t>{0, 2, 1, 3});
  ASSERT_TRUE(view.ok());
  t.shape = {2, 5, 3, 4};
  t = Transpose(t, {0, 2, 1, 3});
  ExpectSame(*view, t);
  EXPECT_EQ(view->sub_dims(3), (std::vector<SubDim>{{4, 1}}));
  EXPECT_EQ(view->sub_dims(2), (std::vector<SubDim>{{5, 12}}));
}

TEST(StridedViewTest, VitSliceThenMergedBatchAndHeads) {
  // ViT's packed projection [S, B, 3E] -> Slice the keys -> Reshape [S, B*H, D] -> Transpose (1, 2, 0).
  const int64_t s = 3, b = 2, h = 2, d = 4, e = h * d;
  Offsets t = Slice(Iota({s, b, 3 * e}), 2, e, e);
  auto view = StridedView::Contiguous(Shape{s, b, 3 * e})->Sliced(2, e, e);
  ASSERT_TRUE(view.ok());
  ExpectSame(*view, t);
  auto reshaped = view->Reshaped(Shape{s, b * h, d});
  ASSERT_TRUE(reshaped.ok());
  t.shape = {s, b * h, d};
  ExpectSame(*reshaped, t);
  // The merged batch-and-head dim cannot be one stride: two sub-dims.
  EXPECT_EQ(reshaped->sub_dims(1), (std::vector<SubDim>{{b, 3 * e}, {h, d}}));
  // Slicing a two-part dim works only along the outer part.
  EXPECT_FALSE(reshaped->Sliced(1, 1, 2).ok());
  auto second_batch = reshaped->Sliced(1, h, h);
  ASSERT_TRUE(second_batch.ok());
  ExpectSame(*second_batch, Slice(t, 1, h, h));
  auto transposed = reshaped->Permuted(std::vector<int64_t>{1, 2, 0});
  ASSERT_TRUE(transposed.ok());
  ExpectSame(*transposed, Transpose(t, {1, 2, 0}));
}

TEST(StridedViewTest, FlatteningATransposeKeepsTwoParts) {
  auto view = StridedView::Contiguous(Shape{4, 3})->Permuted(std::vector<int64_t>{1, 0})->Reshaped(Shape{12});
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->sub_dims(0), (std::vector<SubDim>{{3, 1}, {4, 3}}));
  Offsets t = Transpose(Iota({4, 3}), {1, 0});
  t.shape = {12};
  ExpectSame(*view, t);
}

TEST(StridedViewTest, ReshapeAcrossOldDimsOfAContiguousTensor) {
  auto view = StridedView::Contiguous(Shape{2, 3})->Reshaped(Shape{3, 2});
  ASSERT_TRUE(view.ok());
  Offsets t = Iota({2, 3});
  t.shape = {3, 2};
  ExpectSame(*view, t);
}

TEST(StridedViewTest, RefusesWhatNoStridesExpress) {
  // A transposed [2, 3] read as [3, 2] in row-major order: the rows interleave.
  auto transposed = StridedView::Contiguous(Shape{2, 3})->Permuted(std::vector<int64_t>{1, 0});
  ASSERT_TRUE(transposed.ok());
  EXPECT_FALSE(transposed->Reshaped(Shape{2, 3}).ok());
  EXPECT_FALSE(StridedView::Contiguous(Shape{2, 3})->Permuted(std::vector<int64_t>{0, 0}).ok());
  EXPECT_FALSE(StridedView::Contiguous(Shape{2, 3})->Reshaped(Shape{5}).ok());
}

TEST(StridedViewTest, RandomChainsMatchMaterializedMovement) {
  std::mt19937 rng(7);
  int compared = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Shape shape{1 + static_cast<int64_t>(rng() % 3), 1 + static_cast<int64_t>(rng() % 4),
                2 * (1 + static_cast<int64_t>(rng() % 3))};
    Offsets t = Iota(shape);
    StridedView view = *StridedView::Contiguous(shape);
    for (int step = 0; step < 4; ++step) {
      const int kind = static_cast<int>(rng() % 3);
      if (kind == 0) {
        std::vector<int64_t> perm(t.shape.size());
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng);
        view = *view.Permuted(perm);
        t = Transpose(t, perm);
      } else if (kind == 1) {
        const size_t dim = rng() % t.shape.size();
        if (t.shape[dim] < 2) continue;
        const int64_t size = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(t.shape[dim] - 1));
        const int64_t start = static_cast<int64_t>(rng() % static_cast<uint64_t>(t.shape[dim] - size + 1));
        auto sliced = view.Sliced(dim, start, size);
        if (!sliced.ok()) continue;  // not expressible: nothing to compare
        view = *sliced;
        t = Slice(t, dim, start, size);
      } else {
        // Split the last dim in two where it is even, else merge the first two.
        Shape next = t.shape;
        if (next.back() % 2 == 0 && next.back() > 2) {
          next.back() /= 2;
          next.push_back(2);
        } else if (next.size() > 1) {
          next[1] *= next[0];
          next.erase(next.begin());
        }
        auto reshaped = view.Reshaped(next);
        if (!reshaped.ok()) continue;
        view = *reshaped;
        t.shape = next;
      }
      ExpectSame(view, t);
      ++compared;
    }
  }
  EXPECT_GT(compared, 500);  // most steps are expressible, so most get compared
}

}  // namespace
}  // namespace missile::ops
