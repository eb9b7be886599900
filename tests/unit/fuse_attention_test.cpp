// The transformer fusions (passes/fuse_attention.cpp, fuse_gelu.cpp, fuse_epilogues.cpp's residual,
// fuse_transposed_matmul.cpp) on hand-built graphs in the shapes the exporters write: each must fire where
// its pattern is (the fused graph's operators say so) and the fused graph must compute what the unfused one
// does on the CPU backend, for odd sizes and batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "runtime/session.h"

namespace missile {
namespace {

Tensor Random(const Shape& shape, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  Tensor t(DataType::kFloat32, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

Tensor Ints(const Shape& values) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
}

// A graph under construction: inputs with fixed shapes, constants, nodes in order.
class Builder {
 public:
  Builder() { g_.set_opset(17); }

  graph::ValueId Input(const std::string& name, const Shape& shape) {
    const graph::ValueId v = g_.AddValue(name);
    g_.inputs().push_back(v);
    graph::InputSignature signature;
    for (int64_t d : shape) signature.dims.push_back(graph::Dim{d, ""});
    g_.input_signatures().push_back(signature);
    inputs_.emplace(name, Random(shape, static_cast<uint32_t>(inputs_.size() + 11)));
    return v;
  }
  graph::ValueId Const(Tensor t) {
    return g_.AddConstant("c" + std::to_string(g_.value_count()), std::move(t));
  }
  graph::ValueId Scalar(float v) { return Const(Tensor::Scalar(v)); }

  graph::ValueId Node(const std::string& op, std::vector<graph::ValueId> inputs,
                      graph::Attributes attributes = {}) {
    graph::Node n;
    n.name = op + std::to_string(g_.nodes().size());
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = {g_.AddValue(n.name + "_out")};
    n.attributes = std::move(attributes);
    g_.nodes().push_back(n);
    return n.outputs[0];
  }
  graph::ValueId Transpose(graph::ValueId x, std::vector<int64_t> perm) {
    graph::Attributes a;
    a.Set("perm", std::move(perm));
    return Node("Transpose", {x}, a);
  }
  graph::ValueId Reshape(graph::ValueId x, const Shape& shape) {
    return Node("Reshape", {x, Const(Ints(shape))});
  }
  // x [..., in] x W [in, out] + b: PyTorch's Linear on a 3-D activation.
  graph::ValueId Linear(graph::ValueId x, int64_t in, int64_t out, uint32_t seed) {
    const graph::ValueId m = Node("MatMul", {x, Const(Random({in, out}, seed, 0.3f))});
    return Node("Add", {Const(Random({out}, seed + 1)), m});
  }

  graph::Graph Finish(graph::ValueId output) {
    g_.outputs().push_back(output);
    g_.output_names().push_back("y");
    EXPECT_TRUE(g_.Finalize().ok());
    return g_;
  }
  const runtime::NamedTensors& inputs() const { return inputs_; }

 private:
  graph::Graph g_;
  runtime::NamedTensors inputs_;
};

double RelativeError(const Tensor& got, const Tensor& want) {
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(got.data<float>()[i] - want.data<float>()[i])));
    ref = std::max(ref, static_cast<double>(std::abs(want.data<float>()[i])));
  }
  return diff / std::max(ref, 1e-6);
}

// Runs the graph fused and unfused on the CPU; returns the fused plan's operators.
std::vector<std::string> CheckFusedMatchesUnfused(const graph::Graph& graph,
                                                  const runtime::NamedTensors& inputs) {
  runtime::SessionOptions fused_options, plain_options;
  plain_options.backend = fused_options.backend = "cpu";
  plain_options.pipeline.fuse = false;
  auto fused = runtime::Session::FromGraph(graph, fused_options);
  auto plain = runtime::Session::FromGraph(graph, plain_options);
  EXPECT_TRUE(fused.ok() && plain.ok());
  if (!fused.ok() || !plain.ok()) return {};
  auto got = (*fused)->Run(inputs);
  auto want = (*plain)->Run(inputs);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(want.ok()) << want.status().ToString();
  if (!got.ok() || !want.ok()) return {};
  EXPECT_EQ(got->at("y").shape(), want->at("y").shape());
  EXPECT_LE(RelativeError(got->at("y"), want->at("y")), 2e-6);
  std::vector<std::string> ops;
  for (const graph::Node& n : (*(*fused)->Prepare(inputs))->graph().nodes()) ops.push_back(n.op_type);
  return ops;
}

int Count(const std::vector<std::string>& ops, const std::string& op) {
  return static_cast<int>(std::count(ops.begin(), ops.end(), op));
}

// BERT / GPT-2 attention on x [batch, seq, heads * dim], optionally causal (GPT-2's Where before the
// Softmax).
graph::Graph EncoderAttention(Builder& b, int64_t batch, int64_t seq, int64_t heads, int64_t dim,
                              bool causal) {
  const int64_t hidden = heads * dim;
  const graph::ValueId x = b.Input("x", {batch, seq, hidden});
  auto split = [&](graph::ValueId v, std::vector<int64_t> perm) {
    return b.Transpose(b.Reshape(v, {batch, seq, heads, dim}), std::move(perm));
  };
  const graph::ValueId q = split(b.Linear(x, hidden, hidden, 1), {0, 2, 1, 3});
  const graph::ValueId kt = split(b.Linear(x, hidden, hidden, 3), {0, 2, 3, 1});
  const graph::ValueId v = split(b.Linear(x, hidden, hidden, 5), {0, 2, 1, 3});
  graph::ValueId scores =
      b.Node("Div", {b.Node("MatMul", {q, kt}), b.Scalar(std::sqrt(static_cast<float>(dim)))});
  if (causal) {
    Tensor masked(DataType::kBool, {1, 1, seq, seq});
    for (int64_t i = 0; i < seq; ++i) {
      for (int64_t j = 0; j < seq; ++j) masked.data<bool>()[i * seq + j] = j > i;
    }
    scores = b.Node("Where", {b.Const(std::move(masked)), b.Scalar(-3.4028235e38f), scores});
  }
  graph::Attributes last;
  last.Set("axis", int64_t{-1});
  const graph::ValueId p = b.Node("Softmax", {scores}, last);
  const graph::ValueId context = b.Transpose(b.Node("MatMul", {p, v}), {0, 2, 1, 3});
  return b.Finish(b.Linear(b.Reshape(context, {batch, seq, hidden}), hidden, hidden, 7));
}

TEST(FuseAttentionTest, BertHeadsBecomeOneNode) {
  Builder b;
  const auto ops = CheckFusedMatchesUnfused(EncoderAttention(b, 2, 5, 3, 4, false), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
  EXPECT_EQ(Count(ops, "Transpose") + Count(ops, "Softmax") + Count(ops, "Div"), 0);
  // Q, K and V come from one product over the three weights, read through column slices.
  EXPECT_EQ(Count(ops, "MatMul"), 2);
  EXPECT_EQ(Count(ops, "Slice"), 0);
}

TEST(FuseAttentionTest, CausalMaskBecomesAnInput) {
  Builder b;
  const auto ops = CheckFusedMatchesUnfused(EncoderAttention(b, 3, 7, 2, 8, true), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
  EXPECT_EQ(Count(ops, "Where"), 0);
}

// nn.MultiheadAttention's core as exported, from `part(i)` (Q, K, V as [S, B*H, D]): heads merged with the
// batch, Q scaled before the product, the result merged back to [S*B, E].
graph::Graph MultiheadTail(Builder& b, const std::function<graph::ValueId(int64_t)>& part, int64_t seq,
                           int64_t batch, int64_t hidden) {
  const graph::ValueId q = b.Node("Div", {b.Transpose(part(0), {1, 0, 2}), b.Scalar(2.0f)});
  const graph::ValueId kt = b.Transpose(part(1), {1, 2, 0});
  const graph::ValueId v = b.Transpose(part(2), {1, 0, 2});
  graph::Attributes last;
  last.Set("axis", int64_t{-1});
  const graph::ValueId p = b.Node("Softmax", {b.Node("MatMul", {q, kt})}, last);
  return b.Finish(b.Reshape(b.Transpose(b.Node("MatMul", {p, v}), {1, 0, 2}), {seq * batch, hidden}));
}

TEST(FuseAttentionTest, VitPackedProjectionAndScaledQuery) {
  // nn.MultiheadAttention as exported: x [B, S, E] -> [S, B, E], one [E, 3E] projection sliced in three,
  // heads merged with the batch ([S, B*H, D] -> [B*H, S, D]), Q scaled before the product.
  const int64_t batch = 2, seq = 5, heads = 3, dim = 4, hidden = heads * dim;
  Builder b;
  const graph::ValueId x = b.Input("x", {batch, seq, hidden});
  const graph::ValueId packed = b.Linear(b.Transpose(x, {1, 0, 2}), hidden, 3 * hidden, 1);
  auto part = [&](int64_t which) {
    const graph::ValueId sliced =
        b.Node("Slice", {packed, b.Const(Ints({which * hidden})), b.Const(Ints({(which + 1) * hidden})),
                         b.Const(Ints({-1}))});
    return b.Reshape(sliced, {seq, batch * heads, dim});
  };
  const auto ops = CheckFusedMatchesUnfused(MultiheadTail(b, part, seq, batch, hidden), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
  EXPECT_EQ(Count(ops, "Slice") + Count(ops, "Div") + Count(ops, "Softmax"), 0);
  EXPECT_EQ(Count(ops, "Transpose"), 1);  // the input's [B, S] -> [S, B] stays: the projection reads it
}

TEST(FuseAttentionTest, VitTorch2PackedProjectionSharedByQKV) {
  // torch 2's nn.MultiheadAttention: proj.unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2),
  // then q, k, v = proj[0], proj[1], proj[2]: one transpose of the whole projection that Q, K and V all read.
  const int64_t batch = 2, seq = 5, heads = 3, dim = 4, hidden = heads * dim;
  Builder b;
  const graph::ValueId x = b.Input("x", {seq, batch, hidden});
  const graph::ValueId packed = b.Linear(x, hidden, 3 * hidden, 1);
  const graph::ValueId unflat = b.Reshape(packed, {seq, batch, 3, hidden});
  const graph::ValueId unsqueezed = b.Node("Unsqueeze", {unflat, b.Const(Ints({0}))});
  const graph::ValueId moved = b.Transpose(unsqueezed, {3, 1, 2, 0, 4});
  const graph::ValueId squeezed = b.Node("Squeeze", {moved, b.Const(Ints({-2}))});
  auto part = [&](int64_t which) {
    graph::Attributes axis0;
    axis0.Set("axis", int64_t{0});
    const graph::ValueId picked = b.Node(
        "Gather", {squeezed, b.Const(Tensor::FromVector<int64_t>({}, std::vector<int64_t>{which}))}, axis0);
    return b.Reshape(picked, {seq, batch * heads, dim});
  };
  const auto ops = CheckFusedMatchesUnfused(MultiheadTail(b, part, seq, batch, hidden), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
  EXPECT_EQ(Count(ops, "Transpose") + Count(ops, "Gather"), 0);
}

TEST(FuseAttentionTest, SharedPrefixReadElsewhereStays) {
  // As above but the shared projection is also an output: its transpose stays, the Gathers are still views.
  const int64_t seq = 4, hidden = 8;
  Builder b;
  const graph::ValueId x = b.Input("x", {seq, hidden});
  const graph::ValueId moved =
      b.Transpose(b.Reshape(b.Linear(x, hidden, 3 * hidden, 1), {seq, 3, hidden}), {1, 0, 2});
  auto part = [&](int64_t which) {
    graph::Attributes axis0;
    axis0.Set("axis", int64_t{0});
    return b.Node("Gather", {moved, b.Const(Tensor::FromVector<int64_t>({}, std::vector<int64_t>{which}))},
                  axis0);
  };
  const graph::ValueId q = part(0);
  const graph::ValueId kt = b.Transpose(part(1), {1, 0});
  const graph::ValueId v = part(2);
  graph::Attributes last;
  last.Set("axis", int64_t{-1});
  const graph::ValueId y = b.Node("MatMul", {b.Node("Softmax", {b.Node("MatMul", {q, kt})}, last), v});
  const graph::ValueId both = b.Node("Add", {y, b.Node("ReduceSum", {moved, b.Const(Ints({0}))})});
  const auto ops = CheckFusedMatchesUnfused(b.Finish(both), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
  EXPECT_EQ(Count(ops, "Transpose"), 1);
  EXPECT_EQ(Count(ops, "Gather"), 0);
}

TEST(FuseAttentionTest, CrossAttentionWithOtherValueWidth) {
  // Q [2, 3, 6, 5] against keys [2, 3, 9, 5] and values [2, 1, 9, 7] shared by the heads: no views at all.
  Builder b;
  const graph::ValueId q = b.Input("q", {2, 3, 6, 5});
  const graph::ValueId k = b.Input("k", {2, 3, 9, 5});
  const graph::ValueId v = b.Input("v", {2, 1, 9, 7});
  const graph::ValueId scores =
      b.Node("Mul", {b.Scalar(0.5f), b.Node("MatMul", {q, b.Transpose(k, {0, 1, 3, 2})})});
  graph::Attributes last;
  last.Set("axis", int64_t{3});
  const auto ops = CheckFusedMatchesUnfused(
      b.Finish(b.Node("MatMul", {b.Node("Softmax", {scores}, last), v})), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 1);
}

TEST(FuseAttentionTest, LeavesAttentionWhoseScoresAreReadElsewhere) {
  Builder b;
  const graph::ValueId q = b.Input("q", {2, 4, 8});
  const graph::ValueId k = b.Input("k", {2, 4, 8});
  const graph::ValueId scores = b.Node("MatMul", {q, b.Transpose(k, {0, 2, 1})});
  graph::Attributes last;
  last.Set("axis", int64_t{-1});
  const graph::ValueId p = b.Node("Softmax", {scores}, last);
  const graph::ValueId context = b.Node("MatMul", {p, q});
  // The probabilities feed a second consumer: fusing would lose them.
  const auto ops =
      CheckFusedMatchesUnfused(b.Finish(b.Node("Add", {context, b.Node("MatMul", {p, k})})), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 0);
  EXPECT_EQ(Count(ops, "Softmax"), 1);
}

TEST(FuseAttentionTest, LeavesASoftmaxOverAnotherAxis) {
  Builder b;
  const graph::ValueId q = b.Input("q", {2, 4, 8});
  const graph::ValueId k = b.Input("k", {2, 4, 8});
  graph::Attributes axis1;
  axis1.Set("axis", int64_t{1});
  const graph::ValueId p = b.Node("Softmax", {b.Node("MatMul", {q, b.Transpose(k, {0, 2, 1})})}, axis1);
  const auto ops = CheckFusedMatchesUnfused(b.Finish(b.Node("MatMul", {p, k})), b.inputs());
  EXPECT_EQ(Count(ops, "FusedAttention"), 0);
}

TEST(FuseGeluTest, ErfAndTanhFormsBecomeTheLinearsEpilogue) {
  for (bool tanh_form : {false, true}) {
    Builder b;
    const graph::ValueId x = b.Input("x", {2, 3, 8});
    const graph::ValueId h = b.Linear(x, 8, 12, 1);
    graph::ValueId a;
    if (tanh_form) {
      const graph::ValueId cube = b.Node("Mul", {h, b.Node("Mul", {h, h})});
      const graph::ValueId inner = b.Node("Add", {h, b.Node("Mul", {b.Scalar(0.044715f), cube})});
      const graph::ValueId t = b.Node("Tanh", {b.Node("Mul", {b.Scalar(0.7978845608f), inner})});
      a = b.Node("Add", {b.Scalar(1.0f), t});
    } else {
      const graph::ValueId e = b.Node("Erf", {b.Node("Div", {h, b.Scalar(1.4142135f)})});
      a = b.Node("Add", {e, b.Scalar(1.0f)});
    }
    const graph::ValueId y = b.Node("Mul", {b.Node("Mul", {h, a}), b.Scalar(0.5f)});
    const auto ops = CheckFusedMatchesUnfused(b.Finish(y), b.inputs());
    EXPECT_EQ(ops, std::vector<std::string>{"MatMul"}) << (tanh_form ? "tanh" : "erf");
  }
}

TEST(FuseGeluTest, LeavesAPatternWithAWrongConstant) {
  Builder b;
  const graph::ValueId x = b.Input("x", {4, 8});
  const graph::ValueId e = b.Node("Erf", {b.Node("Div", {x, b.Scalar(1.5f)})});
  const graph::ValueId y =
      b.Node("Mul", {b.Node("Mul", {x, b.Node("Add", {e, b.Scalar(1.0f)})}), b.Scalar(0.5f)});
  const auto ops = CheckFusedMatchesUnfused(b.Finish(y), b.inputs());
  EXPECT_EQ(Count(ops, "Gelu"), 0);
  EXPECT_EQ(Count(ops, "Erf"), 1);
}

TEST(MergeSiblingMatMulsTest, SiblingsNotFeedingAttentionKeepTheirSlices) {
  Builder b;
  const graph::ValueId x = b.Input("x", {3, 6});
  const graph::ValueId y = b.Node("Mul", {b.Linear(x, 6, 4, 1), b.Linear(x, 6, 4, 3)});
  const auto ops = CheckFusedMatchesUnfused(b.Finish(y), b.inputs());
  EXPECT_EQ(ops, std::vector<std::string>({"MatMul", "Slice", "Slice", "Mul"}));
}

TEST(FuseResidualTest, LinearPlusResidualIsOneProduct) {
  Builder b;
  const graph::ValueId x = b.Input("x", {2, 5, 6});
  const graph::ValueId y = b.Node("Add", {x, b.Linear(x, 6, 6, 1)});
  const auto ops = CheckFusedMatchesUnfused(b.Finish(y), b.inputs());
  EXPECT_EQ(ops, std::vector<std::string>{"MatMul"});
}

TEST(FuseTransposedMatMulTest, TiedOutputProjectionIsOneGemm) {
  // GPT-2's logits: (E x^T)^T with E [vocab, hidden] the embedding matrix.
  Builder b;
  const graph::ValueId x = b.Input("x", {2, 5, 6});
  const graph::ValueId e = b.Const(Random({11, 6}, 3));
  const graph::ValueId y = b.Transpose(b.Node("MatMul", {e, b.Transpose(x, {0, 2, 1})}), {0, 2, 1});
  const auto ops = CheckFusedMatchesUnfused(b.Finish(y), b.inputs());
  EXPECT_EQ(ops, std::vector<std::string>({"Reshape", "Gemm", "Reshape"}));
}

TEST(TransposesAsViewsTest, OnlyTransposesThatMoveNothingBecomeViews) {
  Builder b;
  const graph::ValueId x = b.Input("x", {1, 5, 6});
  const graph::ValueId moved = b.Transpose(x, {1, 0, 2});        // [5, 1, 6]: the same bytes
  const graph::ValueId swapped = b.Transpose(moved, {2, 0, 1});  // [6, 5, 1]: a real transpose
  const auto ops = CheckFusedMatchesUnfused(b.Finish(swapped), b.inputs());
  EXPECT_EQ(ops, std::vector<std::string>({"Reshape", "Transpose"}));
}

}  // namespace
}  // namespace missile
