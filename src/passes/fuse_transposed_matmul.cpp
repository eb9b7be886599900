// Y = Transpose(MatMul(W, Transpose(X))), both Transposes swapping the last two dims and W a constant matrix:
// Y = X x W^T. Exporters write a tied output projection this way (GPT-2's logits = (E x^T)^T) so as not to
// store E^T next to E; computed as written it materializes two transposes, the second of the whole
// [batch, seq, vocab] output. The three nodes become Reshape(X) -> Gemm(transB = 1) -> Reshape, the
// Reshapes being free views.
#include "ops/activation.h"
#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

bool SwapsLastTwo(const graph::Node& node, size_t rank) {
  if (node.op_type != "Transpose" || rank < 2) return false;
  const std::vector<int64_t> perm = node.attributes.Ints("perm", {});
  if (perm.size() != rank) return false;
  for (size_t d = 0; d + 2 < rank; ++d) {
    if (perm[d] != static_cast<int64_t>(d)) return false;
  }
  return perm[rank - 2] == static_cast<int64_t>(rank - 1) && perm[rank - 1] == static_cast<int64_t>(rank - 2);
}

Tensor ShapeConstant(const Shape& shape) {
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(shape.size())}, shape);
}

}  // namespace

Status FuseTransposedMatMul(graph::Graph& graph) {
  const Consumers consumers(graph);
  bool changed = false;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& matmul = graph.nodes()[n];
    if (matmul.op_type != "MatMul" || matmul.inputs.size() != 2 ||
        matmul.attributes.Has(ops::kFusedActivationAttr))
      continue;
    const graph::ValueId w = matmul.inputs[0];
    if (!IsConstant(graph, w) || graph.value(w).constant->rank() != 2 ||
        graph.value(w).constant->dtype() != DataType::kFloat32) {
      continue;
    }
    const graph::NodeId before = graph.value(matmul.inputs[1]).producer;
    const graph::NodeId after = consumers.Sole(matmul.outputs[0]);
    if (before < 0 || after < 0 || consumers.Sole(matmul.inputs[1]) != static_cast<graph::NodeId>(n))
      continue;
    graph::Node& first = graph.nodes()[static_cast<size_t>(before)];
    graph::Node& last = graph.nodes()[static_cast<size_t>(after)];
    const graph::ValueId x = first.inputs[0];
    const Shape x_shape = graph.value(x).spec->shape;
    if (!SwapsLastTwo(first, x_shape.size()) || !SwapsLastTwo(last, x_shape.size())) continue;

    const int64_t k = x_shape.back();
    const int64_t rows = NumElements(x_shape) / k;
    const int64_t columns = graph.value(w).constant->shape()[0];
    // Transpose(X) -> Reshape(X, [rows, K])
    const graph::ValueId flat = first.outputs[0];
    graph.value(flat).spec->shape = {rows, k};
    first.op_type = "Reshape";
    first.attributes = {};
    first.inputs = {x, graph.AddConstant(first.name + ".shape", ShapeConstant({rows, k}))};
    // MatMul(W, .) -> Gemm(flat, W, transB = 1)
    graph::Node& product = graph.nodes()[n];
    const graph::ValueId out = product.outputs[0];
    graph.value(out).spec->shape = {rows, columns};
    product.op_type = "Gemm";
    product.inputs = {flat, w};
    product.attributes = {};
    product.attributes.Set("transB", int64_t{1});
    // Transpose(.) -> Reshape(., Y's shape)
    const Shape y_shape = graph.value(last.outputs[0]).spec->shape;
    last.op_type = "Reshape";
    last.attributes = {};
    last.inputs = {out, graph.AddConstant(last.name + ".shape", ShapeConstant(y_shape))};
    changed = true;
  }
  return changed ? graph.Finalize() : Status::Ok();
}

}  // namespace missile::passes
