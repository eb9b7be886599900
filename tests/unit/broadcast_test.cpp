#include "ops/broadcast.h"

#include <gtest/gtest.h>

namespace missile::ops {
namespace {

// Reference: the input element each output element reads, by explicit multi-index arithmetic.
int64_t ReferenceOffset(const Shape& out, const Shape& in, int64_t flat) {
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

void ExpectMatchesReference(const Shape& out, const std::vector<Shape>& inputs) {
  BroadcastLayout layout(out, inputs);
  ASSERT_EQ(layout.output_elements(), NumElements(out));
  for (int64_t row = 0; row < layout.rows(); ++row) {
    for (int64_t i = 0; i < layout.inner(); ++i) {
      const int64_t flat = row * layout.inner() + i;
      for (size_t k = 0; k < inputs.size(); ++k) {
        ASSERT_EQ(layout.RowOffset(k, row) + i * layout.inner_stride(k),
                  ReferenceOffset(out, inputs[k], flat))
            << "input " << k << " at " << flat;
      }
    }
  }
}

TEST(BroadcastLayoutTest, MatchesExplicitIndexing) {
  ExpectMatchesReference({2, 3, 4}, {{2, 3, 4}, {2, 3, 4}});
  ExpectMatchesReference({2, 3, 4}, {{2, 3, 4}, {}});
  ExpectMatchesReference({2, 3, 4}, {{2, 3, 4}, {4}});
  ExpectMatchesReference({2, 3, 4}, {{2, 3, 4}, {3, 1}});
  ExpectMatchesReference({3, 4, 5}, {{3, 1, 5}, {1, 4, 1}});
  ExpectMatchesReference({2, 8, 5, 5}, {{2, 8, 5, 5}, {1, 8, 1, 1}});
  ExpectMatchesReference({1, 1, 7}, {{1, 1, 7}, {7}});
  ExpectMatchesReference({4, 1, 3}, {{1}, {4, 1, 3}, {4, 1, 1}});
}

TEST(BroadcastLayoutTest, CollapsesContiguousDims) {
  const Shape out = {8, 64, 56, 56};
  BroadcastLayout same(out, std::vector<Shape>{{8, 64, 56, 56}, {8, 64, 56, 56}});
  EXPECT_EQ(same.rows(), 1);
  BroadcastLayout channel(out, std::vector<Shape>{{8, 64, 56, 56}, {1, 64, 1, 1}});
  EXPECT_EQ(channel.inner(), 56 * 56);
  EXPECT_EQ(channel.inner_stride(1), 0);
}

}  // namespace
}  // namespace missile::ops
