#include "ops/reduce_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "core/shape.h"

namespace missile::ops {
namespace {

ReducePlan Plan(const Shape& shape, const std::vector<bool>& reduced) {
  auto plan = ReducePlan::From(shape, reduced);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : ReducePlan{};
}

// For every input element, by walking the multi-index: the output it belongs to (row-major over the kept
// dims), its position among that output's reduced elements (row-major over the reduced dims), and checks
// that the plan's two indices find it there.
void ExpectPlanMatchesNaive(const Shape& shape, const std::vector<bool>& reduced) {
  SCOPED_TRACE(ShapeToString(shape));
  const ReducePlan plan = Plan(shape, reduced);
  int64_t outputs = 1, folded = 1;
  for (size_t d = 0; d < shape.size(); ++d) (reduced[d] ? folded : outputs) *= shape[d];
  ASSERT_EQ(plan.output_count, outputs);
  ASSERT_EQ(plan.reduced_count, folded);
  const int64_t n = NumElements(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t offset = 0; offset < n; ++offset) {
    int64_t o = 0, k = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (reduced[d]) {
        k = k * shape[d] + index[d];
      } else {
        o = o * shape[d] + index[d];
      }
    }
    ASSERT_EQ(plan.outputs.Offset(o) + plan.reduced.Offset(k), offset) << "o " << o << " k " << k;
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

TEST(ReducePlanTest, LastAxisIsContiguousRows) {
  const ReducePlan plan = Plan({2, 7, 16}, {false, false, true});
  EXPECT_EQ(plan.output_count, 14);
  EXPECT_EQ(plan.reduced_count, 16);
  EXPECT_EQ(plan.outputs.rank, 1);
  EXPECT_EQ(plan.outputs.strides[0], 16);
  EXPECT_EQ(plan.reduced.rank, 1);
  EXPECT_EQ(plan.reduced.strides[0], 1);
  EXPECT_FALSE(plan.outputs_adjacent);
  ExpectPlanMatchesNaive({2, 7, 16}, {false, false, true});
}

TEST(ReducePlanTest, LeadingAxisKeepsOutputsAdjacent) {
  const ReducePlan plan = Plan({5, 3}, {true, false});
  EXPECT_TRUE(plan.outputs_adjacent);
  EXPECT_EQ(plan.reduced.strides[0], 3);
  ExpectPlanMatchesNaive({5, 3}, {true, false});
}

TEST(ReducePlanTest, SizeOneDimsDoNotDecideAdjacency) {
  // The trailing 1 is neither kept nor reduced for the purpose of memory order.
  EXPECT_FALSE(Plan({4, 6, 1}, {false, true, false}).outputs_adjacent);
  EXPECT_TRUE(Plan({4, 6, 1}, {true, false, true}).outputs_adjacent);
}

TEST(ReducePlanTest, ScalarAndAllOnes) {
  const ReducePlan scalar = Plan({}, {});
  EXPECT_EQ(scalar.output_count, 1);
  EXPECT_EQ(scalar.reduced_count, 1);
  EXPECT_EQ(scalar.outputs.Offset(0), 0);
  EXPECT_EQ(scalar.reduced.Offset(0), 0);
  ExpectPlanMatchesNaive({1, 1}, {true, false});
}

TEST(ReducePlanTest, EmptyDims) {
  const ReducePlan empty_reduced = Plan({3, 0, 4}, {false, true, false});
  EXPECT_EQ(empty_reduced.output_count, 12);
  EXPECT_EQ(empty_reduced.reduced_count, 0);
  const ReducePlan empty_output = Plan({3, 0, 4}, {true, false, true});
  EXPECT_EQ(empty_output.output_count, 0);
}

TEST(ReducePlanTest, InterleavedAxesMatchNaive) {
  ExpectPlanMatchesNaive({3, 4, 5}, {true, false, true});
  ExpectPlanMatchesNaive({2, 3, 4, 5}, {false, true, false, true});
  ExpectPlanMatchesNaive({2, 3, 4, 5}, {true, false, true, false});
  ExpectPlanMatchesNaive({2, 4, 5, 5}, {false, false, true, true});
  ExpectPlanMatchesNaive({2, 3, 4}, {true, true, true});
  ExpectPlanMatchesNaive({2, 3, 4}, {false, false, false});
}

TEST(ReducePlanTest, RandomShapesMatchNaive) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t rank = rng() % 6;
    Shape shape;
    std::vector<bool> reduced;
    for (size_t d = 0; d < rank; ++d) {
      shape.push_back(1 + static_cast<int64_t>(rng() % 4));
      reduced.push_back(rng() % 2 == 0);
    }
    ExpectPlanMatchesNaive(shape, reduced);
  }
}

TEST(ReducePlanTest, LaunchStrategies) {
  // BERT's ReduceMean over hidden 768 for 128 tokens: a warp per row, too short to split.
  const ReduceLaunch rows = PlanReduceLaunch(Plan({1, 128, 768}, {false, false, true}));
  EXPECT_EQ(rows.strategy, ReduceStrategy::kWarpPerOutput);
  EXPECT_EQ(rows.slices, 1);
  EXPECT_EQ(rows.slice_length, 768);

  const ReduceLaunch columns = PlanReduceLaunch(Plan({64, 4096}, {true, false}));
  EXPECT_EQ(columns.strategy, ReduceStrategy::kColumns);

  // One output over a million elements: a block per output, split across the GPU.
  const ReduceLaunch all = PlanReduceLaunch(Plan({1024, 1024}, {true, true}));
  EXPECT_EQ(all.strategy, ReduceStrategy::kBlockPerOutput);
  EXPECT_EQ(all.slices, 1024 * 1024 / (kReduceMinPerThread * kReduceBlockThreads));
  EXPECT_EQ(all.slice_length * all.slices, 1024 * 1024);

  // Few long columns: split.
  const ReduceLaunch tall = PlanReduceLaunch(Plan({100000, 3}, {true, false}));
  EXPECT_EQ(tall.strategy, ReduceStrategy::kColumns);
  EXPECT_GT(tall.slices, 1);

  // Plenty of outputs: no split.
  const ReduceLaunch many = PlanReduceLaunch(Plan({65536, 64}, {false, true}));
  EXPECT_EQ(many.slices, 1);
  EXPECT_EQ(many.slice_length, 64);
}

TEST(ReducePlanTest, SlicesCoverTheReductionWithoutEmptyOnes) {
  for (int64_t n : {1, 7, 255, 256, 1000, 4097, 100000, 1234567}) {
    for (bool adjacent : {false, true}) {
      const ReducePlan plan = adjacent ? Plan({n, 3}, {true, false}) : Plan({2, n}, {false, true});
      const ReduceLaunch launch = PlanReduceLaunch(plan);
      SCOPED_TRACE(n);
      ASSERT_GE(launch.slices, 1);
      ASSERT_LE(launch.slices, kReduceMaxSlices);
      EXPECT_GE(launch.slices * launch.slice_length, n);
      EXPECT_LT((launch.slices - 1) * launch.slice_length, n);
    }
  }
}

}  // namespace
}  // namespace missile::ops
