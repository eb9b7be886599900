// MatMuls that read the same activation with constant weights (a transformer's Q, K and V projections) become
// one MatMul over the weights side by side, [K, N1 + N2 + ...], each former output a Slice of its columns.
// One wider GEMM fills the GPU better than several narrow ones and costs one launch; FuseAttention then reads
// Q, K and V through the Slices, so they copy nothing there.
#include <algorithm>
#include <map>
#include <tuple>

#include "ops/activation.h"
#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

Tensor Ints(std::vector<int64_t> values) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(values.size())}, values);
}

// A MatMul this pass can merge: 2-D float32 constant weight, an optional fused [N] bias, nothing else fused.
bool Mergeable(const graph::Graph& graph, const graph::Node& node) {
  if (node.op_type != "MatMul" || node.inputs.size() < 2 || node.inputs.size() > 3) return false;
  if (node.attributes.Has(ops::kFusedActivationAttr) || !IsConstant(graph, node.inputs[1])) return false;
  const Tensor& w = *graph.value(node.inputs[1]).constant;
  if (w.rank() != 2 || w.dtype() != DataType::kFloat32) return false;
  return node.inputs.size() == 2 || IsConstant(graph, node.inputs[2]);
}

}  // namespace

Status MergeSiblingMatMuls(graph::Graph& graph) {
  // Siblings: same activation, same K, all with a bias or all without.
  std::map<std::tuple<graph::ValueId, int64_t, bool>, std::vector<size_t>> groups;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    if (!Mergeable(graph, node)) continue;
    const int64_t k = graph.value(node.inputs[1]).constant->shape()[0];
    groups[{node.inputs[0], k, node.inputs.size() == 3}].push_back(n);
  }
  std::vector<std::pair<size_t, graph::Node>> inserted;  // (position, node): Slices for the first MatMuls
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    const auto& [input, k, with_bias] = key;
    int64_t total = 0;
    for (size_t n : members) total += graph.value(graph.nodes()[n].inputs[1]).constant->shape()[1];
    Tensor weight(DataType::kFloat32, {k, total});
    Tensor bias(DataType::kFloat32, {total});
    int64_t column = 0;
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (size_t n : members) {
      const graph::Node& node = graph.nodes()[n];
      const Tensor& w = *graph.value(node.inputs[1]).constant;
      const int64_t width = w.shape()[1];
      for (int64_t r = 0; r < k; ++r) {
        std::copy_n(w.data<float>() + r * width, width, weight.data<float>() + r * total + column);
      }
      if (with_bias)
        std::copy_n(graph.value(node.inputs[2]).constant->data<float>(), width, bias.data<float>() + column);
      ranges.emplace_back(column, column + width);
      column += width;
    }
    graph::Node& first = graph.nodes()[members[0]];
    Shape merged_shape = graph.value(first.outputs[0]).spec->shape;
    merged_shape.back() = total;
    const std::string name = first.name + "/merged";
    const graph::ValueId merged = graph.AddValue(name + "_out");
    graph.value(merged).spec = graph::TensorSpec{DataType::kFloat32, merged_shape};
    const graph::ValueId axes = graph.AddConstant(name + ".axes", Ints({-1}));
    for (size_t i = 0; i < members.size(); ++i) {
      graph::Node slice;
      slice.name = graph.nodes()[members[i]].name + "/slice";
      slice.op_type = "Slice";
      slice.inputs = {merged, graph.AddConstant(slice.name + ".starts", Ints({ranges[i].first})),
                      graph.AddConstant(slice.name + ".ends", Ints({ranges[i].second})), axes};
      slice.outputs = {graph.nodes()[members[i]].outputs[0]};
      if (i == 0) {
        inserted.emplace_back(members[0] + 1, std::move(slice));
      } else {
        graph.nodes()[members[i]] = std::move(slice);  // a later position: after the merged product
      }
    }
    graph::Node& product = graph.nodes()[members[0]];
    product.name = name;
    product.inputs = {input, graph.AddConstant(name + ".weight", std::move(weight))};
    if (with_bias) product.inputs.push_back(graph.AddConstant(name + ".bias", std::move(bias)));
    product.outputs = {merged};
  }
  if (inserted.empty()) return Status::Ok();
  std::sort(inserted.begin(), inserted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [position, node] : inserted) {
    graph.nodes().insert(graph.nodes().begin() + static_cast<std::ptrdiff_t>(position), std::move(node));
  }
  return graph.Finalize();
}

}  // namespace missile::passes
