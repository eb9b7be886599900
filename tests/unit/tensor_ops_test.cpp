// Data-movement, shape and reduction operators through their schemas and CPU kernels, one node at a time:
// the edge cases (negative axes and steps, clamped ends, scalar indices, int64 shape math) that whole-model
// tests rarely reach.
#include <gtest/gtest.h>

#include <limits>

#include "ops/cpu/cpu_kernels.h"
#include "ops/op_schema.h"
#include "ops/pad_geometry.h"
#include "ops/reduce_geometry.h"
#include "ops/resize_geometry.h"
#include "ops/slice_geometry.h"

namespace missile {
namespace {

using graph::AttributeValue;

// Builds one node over graph inputs and constants, infers its outputs and runs its CPU kernel.
class SingleNode {
 public:
  explicit SingleNode(std::string op_type) {
    node_.name = "test";
    node_.op_type = std::move(op_type);
    graph_.set_opset(17);
  }

  // A value known only at run time (a graph input).
  SingleNode& Input(Tensor value) {
    const graph::ValueId id = graph_.AddValue(fmt::format("in{}", node_.inputs.size()));
    graph_.value(id).spec = graph::TensorSpec{value.dtype(), value.shape()};
    return Add(id, std::move(value));
  }
  // A value known at load (an initializer): shape-like operands must be these.
  SingleNode& Constant(Tensor value) {
    return Add(graph_.AddConstant(fmt::format("in{}", node_.inputs.size()), value), value);
  }
  SingleNode& Omitted() { return Add(graph::kNoValue, Tensor()); }
  SingleNode& Attr(const std::string& name, AttributeValue value) {
    node_.attributes.Set(name, std::move(value));
    return *this;
  }
  SingleNode& Outputs(size_t count) {
    outputs_ = count;
    return *this;
  }

  Result<std::vector<Tensor>> Run() {
    for (size_t i = 0; i < outputs_; ++i) node_.outputs.push_back(graph_.AddValue(fmt::format("out{}", i)));
    const ops::NodeContext ctx(graph_, node_);
    MISSILE_ASSIGN_OR_RETURN(std::vector<graph::TensorSpec> specs, ops::InferNode(ctx));
    std::vector<Tensor> results;
    std::vector<void*> outputs;
    for (size_t i = 0; i < outputs_; ++i) {
      graph_.value(node_.outputs[i]).spec = specs[i];
      results.emplace_back(specs[i].dtype, specs[i].shape);
      outputs.push_back(results.back().raw_data());
    }
    MISSILE_ASSIGN_OR_RETURN(std::unique_ptr<ops::Kernel> kernel, ops::cpu::CreateKernel(ctx));
    std::vector<const void*> inputs;
    for (const Tensor& value : values_) inputs.push_back(value.empty() ? nullptr : value.raw_data());
    std::vector<std::byte> workspace(kernel->workspace_bytes());
    MISSILE_RETURN_IF_ERROR(kernel->Run({inputs.data(), outputs.data(), workspace.data()}));
    return results;
  }

  // The operator's geometry struct, resolved as its schema and kernels resolve it.
  template <typename Geometry>
  Geometry Resolve() {
    auto geometry = Geometry::From(ops::NodeContext(graph_, node_));
    EXPECT_TRUE(geometry.ok()) << geometry.status().ToString();
    return geometry.ok() ? *geometry : Geometry{};
  }

  // The single output, or a failed test.
  Tensor RunOne() {
    auto results = Run();
    EXPECT_TRUE(results.ok()) << results.status().ToString();
    return results.ok() ? results->front() : Tensor();
  }

 private:
  SingleNode& Add(graph::ValueId id, Tensor value) {
    node_.inputs.push_back(id);
    values_.push_back(std::move(value));
    return *this;
  }

  graph::Graph graph_;
  graph::Node node_;
  std::vector<Tensor> values_;
  size_t outputs_ = 1;
};

Tensor Ints(Shape shape, std::vector<int64_t> values) {
  return Tensor::FromVector<int64_t>(std::move(shape), values);
}
Tensor Floats(Shape shape, std::vector<float> values) {
  return Tensor::FromVector<float>(std::move(shape), values);
}
Tensor IntScalar(int64_t value) {
  return Ints({}, {value});
}

// 0, 1, 2, ... in the given shape.
Tensor Iota(Shape shape, DataType dtype = DataType::kFloat32) {
  Tensor floats(DataType::kFloat32, shape);
  for (int64_t i = 0; i < floats.num_elements(); ++i) floats.data<float>()[i] = static_cast<float>(i);
  return floats.CastTo(dtype);
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(TensorOpsTest, ReshapeCopiesZeroAndInfersMinusOne) {
  Tensor y = SingleNode("Reshape").Input(Iota({2, 3, 4})).Constant(Ints({2}, {0, -1})).RunOne();
  EXPECT_EQ(y.shape(), (Shape{2, 12}));
  EXPECT_EQ(Values<float>(y)[13], 13.0f);

  auto bad = SingleNode("Reshape").Input(Iota({2, 3, 4})).Constant(Ints({2}, {-1, -1})).Run();
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidModel);
}

TEST(TensorOpsTest, ShapeOperandsMustBeConstant) {
  auto result = SingleNode("Reshape").Input(Iota({2, 3})).Input(Ints({1}, {6})).Run();
  EXPECT_EQ(result.status().code(), ErrorCode::kUnimplemented);
}

TEST(TensorOpsTest, SqueezeAndUnsqueezeTakeNegativeAxes) {
  EXPECT_EQ(SingleNode("Squeeze").Input(Iota({1, 3, 1})).Constant(Ints({1}, {-1})).RunOne().shape(),
            (Shape{1, 3}));
  EXPECT_EQ(SingleNode("Squeeze").Input(Iota({1, 3, 1})).RunOne().shape(), (Shape{3}));
  EXPECT_EQ(SingleNode("Unsqueeze").Input(Iota({3})).Constant(Ints({2}, {0, -1})).RunOne().shape(),
            (Shape{1, 3, 1}));
  EXPECT_EQ(SingleNode("Unsqueeze").Input(IntScalar(4)).Constant(Ints({1}, {0})).RunOne().shape(),
            (Shape{1}));
}

TEST(TensorOpsTest, SliceWithNegativeStepsAndClampedEnds) {
  auto slice = [](std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> steps) {
    const int64_t n = static_cast<int64_t>(starts.size());
    return Values<int64_t>(SingleNode("Slice")
                               .Input(Iota({5}, DataType::kInt64))
                               .Constant(Ints({n}, starts))
                               .Constant(Ints({n}, ends))
                               .Omitted()
                               .Constant(Ints({n}, steps))
                               .RunOne());
  };
  EXPECT_EQ(slice({-1}, {kMin}, {-2}), (std::vector<int64_t>{4, 2, 0}));
  EXPECT_EQ(slice({10}, {-100}, {-1}), (std::vector<int64_t>{4, 3, 2, 1, 0}));
  EXPECT_EQ(slice({1}, {kMax}, {1}), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(slice({-2}, {1}, {3}), (std::vector<int64_t>{}));
  EXPECT_EQ(slice({0}, {kMax}, {kMax}), (std::vector<int64_t>{0}));
}

TEST(TensorOpsTest, SliceGeometryResolvesEveryInputDim) {
  const ops::SliceGeometry g = SingleNode("Slice")
                                   .Input(Iota({2, 5}))
                                   .Constant(Ints({1}, {10}))
                                   .Constant(Ints({1}, {-100}))
                                   .Constant(Ints({1}, {-1}))
                                   .Constant(Ints({1}, {-2}))
                                   .Resolve<ops::SliceGeometry>();
  // The start clamps to the last element going backward; the unsliced dim reads from 0 in steps of 1.
  EXPECT_EQ(g.start, (Shape{0, 4}));
  EXPECT_EQ(g.step, (Shape{1, -2}));
  EXPECT_EQ(g.output, (Shape{2, 3}));
}

TEST(TensorOpsTest, SliceOnANegativeAxis) {
  Tensor y = SingleNode("Slice")
                 .Input(Iota({2, 4}))
                 .Constant(Ints({1}, {1}))
                 .Constant(Ints({1}, {3}))
                 .Constant(Ints({1}, {-1}))
                 .RunOne();
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 2, 5, 6}));
}

TEST(TensorOpsTest, GatherWithAScalarNegativeIndexDropsTheAxis) {
  Tensor y =
      SingleNode("Gather").Input(Iota({3, 4})).Constant(IntScalar(-1)).Attr("axis", int64_t{1}).RunOne();
  EXPECT_EQ(y.shape(), (Shape{3}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{3, 7, 11}));
}

TEST(TensorOpsTest, GatherOfShapeValuesInInt64) {
  Tensor y = SingleNode("Gather").Constant(Ints({3}, {8, 128, 768})).Constant(Ints({2}, {2, 0})).RunOne();
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{768, 8}));
}

TEST(TensorOpsTest, GatherIndexOutOfRangeIsAnErrorNotACrash) {
  auto result = SingleNode("Gather").Constant(Iota({3, 2})).Input(Ints({2}, {0, 3})).Run();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("index 3"), std::string::npos) << result.status().message();
}

TEST(TensorOpsTest, TransposeAttentionHeads) {
  // [1, 2, 3, 2] -> perm (0, 2, 1, 3) -> [1, 3, 2, 2]: out[0, s, h, d] = in[0, h, s, d].
  Tensor y = SingleNode("Transpose")
                 .Input(Iota({1, 2, 3, 2}, DataType::kInt64))
                 .Attr("perm", std::vector<int64_t>{0, 2, 1, 3})
                 .RunOne();
  EXPECT_EQ(y.shape(), (Shape{1, 3, 2, 2}));
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}));
}

TEST(TensorOpsTest, ConcatAndSplitAlongAnAxis) {
  Tensor y = SingleNode("Concat")
                 .Constant(Ints({1}, {1}))
                 .Constant(Ints({2}, {2, 3}))
                 .Attr("axis", int64_t{-1})
                 .RunOne();
  EXPECT_EQ(Values<int64_t>(y), (std::vector<int64_t>{1, 2, 3}));

  auto parts = SingleNode("Split")
                   .Input(Iota({2, 3}))
                   .Constant(Ints({2}, {1, 2}))
                   .Attr("axis", int64_t{1})
                   .Outputs(2)
                   .Run();
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(Values<float>((*parts)[0]), (std::vector<float>{0, 3}));
  EXPECT_EQ(Values<float>((*parts)[1]), (std::vector<float>{1, 2, 4, 5}));
}

TEST(TensorOpsTest, PadModes) {
  auto pad = [](const std::string& mode) {
    return Values<int64_t>(SingleNode("Pad")
                               .Input(Ints({3}, {1, 2, 3}))
                               .Constant(Ints({2}, {2, 1}))
                               .Constant(IntScalar(-1))
                               .Attr("mode", mode)
                               .RunOne());
  };
  EXPECT_EQ(pad("constant"), (std::vector<int64_t>{-1, -1, 1, 2, 3, -1}));
  EXPECT_EQ(pad("reflect"), (std::vector<int64_t>{3, 2, 1, 2, 3, 2}));
  EXPECT_EQ(pad("edge"), (std::vector<int64_t>{1, 1, 1, 2, 3, 3}));
}

TEST(TensorOpsTest, ExpandAndTile) {
  Tensor expanded = SingleNode("Expand").Input(Floats({2, 1}, {1, 2})).Constant(Ints({2}, {2, 3})).RunOne();
  EXPECT_EQ(Values<float>(expanded), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  Tensor tiled = SingleNode("Tile").Input(Floats({2}, {1, 2})).Constant(Ints({1}, {3})).RunOne();
  EXPECT_EQ(Values<float>(tiled), (std::vector<float>{1, 2, 1, 2, 1, 2}));
}

TEST(TensorOpsTest, ResizeNearestDoubles) {
  Tensor y = SingleNode("Resize")
                 .Input(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))
                 .Omitted()
                 .Constant(Floats({4}, {1, 1, 2, 2}))
                 .Attr("mode", std::string("nearest"))
                 .Attr("coordinate_transformation_mode", std::string("asymmetric"))
                 .Attr("nearest_mode", std::string("floor"))
                 .RunOne();
  EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(TensorOpsTest, ResizeGeometryDerivesScalesFromSizes) {
  const ops::ResizeGeometry g = SingleNode("Resize")
                                    .Input(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))
                                    .Omitted()
                                    .Omitted()
                                    .Constant(Ints({4}, {1, 1, 4, 3}))
                                    .Attr("coordinate_transformation_mode", std::string("asymmetric"))
                                    .Attr("nearest_mode", std::string("floor"))
                                    .Resolve<ops::ResizeGeometry>();
  EXPECT_EQ(g.output, (Shape{1, 1, 4, 3}));
  EXPECT_EQ(g.scales, (std::vector<float>{1, 1, 2, 1.5f}));
  EXPECT_EQ(g.NearestIndex(2, 3), 1);  // floor(3 / 2)
  EXPECT_EQ(g.NearestIndex(3, 2), 1);  // floor(2 / 1.5)
}

TEST(TensorOpsTest, ResizeNamesAnUnsupportedTransform) {
  auto result = SingleNode("Resize")
                    .Input(Floats({1, 1, 2, 2}, {1, 2, 3, 4}))
                    .Omitted()
                    .Constant(Floats({4}, {1, 1, 2, 2}))
                    .Attr("coordinate_transformation_mode", std::string("tf_crop_and_resize"))
                    .Run();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kUnimplemented);
  EXPECT_NE(result.status().message().find("'tf_crop_and_resize'"), std::string::npos)
      << result.status().message();
}

TEST(TensorOpsTest, PadGeometryMapsOutputIndicesToTheInput) {
  const ops::PadGeometry g = SingleNode("Pad")
                                 .Input(Ints({4}, {1, 2, 3, 4}))
                                 .Constant(Ints({2}, {3, -1}))
                                 .Attr("mode", std::string("reflect"))
                                 .Resolve<ops::PadGeometry>();
  EXPECT_EQ(g.output, (Shape{6}));
  std::vector<int64_t> sources;
  for (int64_t j = 0; j < g.output[0]; ++j) sources.push_back(g.SourceIndex(0, j));
  EXPECT_EQ(sources, (std::vector<int64_t>{3, 2, 1, 0, 1, 2}));  // the trailing pad of -1 crops the 4
}

TEST(TensorOpsTest, ShapeValueIsKnownFromShapes) {
  graph::Graph graph;
  const graph::ValueId x = graph.AddValue("x");
  graph.value(x).spec = graph::TensorSpec{DataType::kFloat32, {2, 3, 4, 5}};
  graph::Node node;
  node.op_type = "Shape";
  node.inputs = {x};
  node.outputs = {graph.AddValue("s")};
  node.attributes.Set("start", int64_t{1});
  node.attributes.Set("end", int64_t{-1});
  const ops::NodeContext ctx(graph, node);
  auto value = ops::FindSchema("Shape")->value_from_shapes(ctx);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(Values<int64_t>(*value), (std::vector<int64_t>{3, 4}));
}

TEST(TensorOpsTest, ReduceSumKeepdimsAndNoop) {
  Tensor sums = SingleNode("ReduceSum")
                    .Input(Iota({2, 3}))
                    .Constant(Ints({1}, {-1}))
                    .Attr("keepdims", int64_t{0})
                    .RunOne();
  EXPECT_EQ(sums.shape(), (Shape{2}));
  EXPECT_EQ(Values<float>(sums), (std::vector<float>{3, 12}));

  Tensor all = SingleNode("ReduceSum").Input(Iota({2, 3})).RunOne();
  EXPECT_EQ(all.shape(), (Shape{1, 1}));
  EXPECT_EQ(Values<float>(all), (std::vector<float>{15}));

  Tensor same = SingleNode("ReduceSum").Input(Iota({2, 3})).Attr("noop_with_empty_axes", int64_t{1}).RunOne();
  EXPECT_EQ(Values<float>(same), Values<float>(Iota({2, 3})));
}

TEST(TensorOpsTest, ReduceGeometryCountsTheFoldedElements) {
  const ops::ReduceGeometry g = SingleNode("ReduceSum")
                                    .Input(Iota({2, 3, 4}))
                                    .Constant(Ints({2}, {0, -1}))
                                    .Attr("keepdims", int64_t{0})
                                    .Resolve<ops::ReduceGeometry>();
  EXPECT_FALSE(g.noop);
  EXPECT_EQ(g.reduced, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(g.reduced_elements, 8);
  EXPECT_EQ(g.output, (Shape{3}));

  auto repeated = SingleNode("ReduceSum").Input(Iota({2, 3})).Constant(Ints({2}, {1, -1})).Run();
  EXPECT_EQ(repeated.status().code(), ErrorCode::kInvalidModel);
}

TEST(TensorOpsTest, ReduceMeanOverAMiddleAxis) {
  Tensor y = SingleNode("ReduceMean").Input(Iota({2, 2, 3})).Attr("axes", std::vector<int64_t>{1}).RunOne();
  EXPECT_EQ(y.shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1.5, 2.5, 3.5, 7.5, 8.5, 9.5}));
}

TEST(TensorOpsTest, SoftmaxRowsSumToOne) {
  Tensor y = SingleNode("Softmax").Input(Floats({2, 3}, {1, 2, 3, 1000, 1000, 1000})).RunOne();
  const std::vector<float> p = Values<float>(y);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-6f);
  EXPECT_NEAR(p[2] / p[1], std::exp(1.0f), 1e-5f);
  EXPECT_NEAR(p[3], 1.0f / 3, 1e-7f);  // no overflow from large logits

  Tensor single = SingleNode("Softmax").Input(Floats({3, 1}, {-5, 0, 7})).RunOne();
  EXPECT_EQ(Values<float>(single), (std::vector<float>{1, 1, 1}));
}

TEST(TensorOpsTest, LogSoftmaxAlongTheFirstAxis) {
  Tensor y = SingleNode("LogSoftmax").Input(Floats({2, 2}, {0, 5, 0, 5})).Attr("axis", int64_t{0}).RunOne();
  for (float v : Values<float>(y)) EXPECT_NEAR(v, -std::log(2.0f), 1e-6f);
}

}  // namespace
}  // namespace missile
