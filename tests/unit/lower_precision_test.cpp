// The fp16 lowering pass (passes/lower_precision.h) on hand-built graphs.
#include "passes/lower_precision.h"

#include <gtest/gtest.h>

#include <cmath>

namespace missile::passes {
namespace {

// y = Add(x, c) with a float32 input x [2] and constant c, plus an int64 input n passed through Identity.
graph::Graph AddGraph(std::vector<float> constant) {
  graph::Graph g;
  g.set_opset(17);
  const graph::ValueId x = g.AddValue("x");
  g.value(x).spec = graph::TensorSpec{DataType::kFloat32, {2}};
  g.inputs().push_back(x);
  const graph::ValueId c = g.AddConstant("c", Tensor::FromVector<float>({2}, constant));
  const graph::ValueId y = g.AddValue("y");
  g.value(y).spec = graph::TensorSpec{DataType::kFloat32, {2}};
  graph::Node add;
  add.name = "add";
  add.op_type = "Add";
  add.inputs = {x, c};
  add.outputs = {y};
  g.nodes().push_back(add);
  g.outputs().push_back(y);
  g.output_names().push_back("y");
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

TEST(LowerPrecisionTest, CastsAtTheBoundaryAndHalvesTheInside) {
  graph::Graph g = AddGraph({1.5f, -2.0f});
  ASSERT_TRUE(LowerFloat32ToFloat16(g).ok());
  ASSERT_EQ(g.nodes().size(), 3u);
  EXPECT_EQ(g.nodes().front().op_type, "Cast");
  EXPECT_EQ(g.nodes()[1].op_type, "Add");
  EXPECT_EQ(g.nodes().back().op_type, "Cast");
  // The caller's view is unchanged: float32 in, float32 out.
  EXPECT_EQ(g.value(g.inputs()[0]).spec->dtype, DataType::kFloat32);
  EXPECT_EQ(g.value(g.outputs()[0]).spec->dtype, DataType::kFloat32);
  // Inside, the add reads and writes float16, its constant converted.
  const graph::Node& add = g.nodes()[1];
  EXPECT_EQ(g.value(add.inputs[0]).spec->dtype, DataType::kFloat16);
  EXPECT_EQ(g.value(add.outputs[0]).spec->dtype, DataType::kFloat16);
  const Tensor& c = *g.value(add.inputs[1]).constant;
  ASSERT_EQ(c.dtype(), DataType::kFloat16);
  EXPECT_EQ(HalfToFloat(c.data<Float16>()[0]), 1.5f);
  EXPECT_EQ(HalfToFloat(c.data<Float16>()[1]), -2.0f);
}

TEST(LowerPrecisionTest, SaturatesFiniteConstantsAndKeepsInfinities) {
  graph::Graph g = AddGraph({-3.4e38f, -INFINITY});
  ASSERT_TRUE(LowerFloat32ToFloat16(g).ok());
  const Tensor& c = *g.value(g.nodes()[1].inputs[1]).constant;
  EXPECT_EQ(HalfToFloat(c.data<Float16>()[0]), -65504.0f);  // a masking constant stays finite
  EXPECT_TRUE(std::isinf(HalfToFloat(c.data<Float16>()[1])));
}

TEST(LowerPrecisionTest, CastsToFloat32BecomeCastsToFloat16) {
  graph::Graph g;
  g.set_opset(17);
  const graph::ValueId n = g.AddValue("n");
  g.value(n).spec = graph::TensorSpec{DataType::kInt64, {3}};
  g.inputs().push_back(n);
  const graph::ValueId f = g.AddValue("f");
  g.value(f).spec = graph::TensorSpec{DataType::kFloat32, {3}};
  graph::Node cast;
  cast.name = "cast";
  cast.op_type = "Cast";
  cast.inputs = {n};
  cast.outputs = {f};
  cast.attributes.Set("to", int64_t{1});
  g.nodes().push_back(cast);
  g.outputs().push_back(f);
  g.output_names().push_back("f");
  ASSERT_TRUE(g.Finalize().ok());
  ASSERT_TRUE(LowerFloat32ToFloat16(g).ok());
  ASSERT_EQ(g.nodes().size(), 2u);  // the int64 input needs no boundary cast
  EXPECT_EQ(g.nodes()[0].attributes.Int("to", 0), 10);
  EXPECT_EQ(g.value(g.nodes()[0].outputs[0]).spec->dtype, DataType::kFloat16);
  EXPECT_EQ(g.value(g.outputs()[0]).spec->dtype, DataType::kFloat32);
}

}  // namespace
}  // namespace missile::passes
