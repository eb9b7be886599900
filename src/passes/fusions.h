// Graph rewrites that cut kernels and memory traffic without changing results beyond float rounding.
// Each runs after shape inference (specs and constants are known) and keeps the graph topologically ordered.
#pragma once

#include "graph/graph.h"

namespace missile::passes {

// Identity and inference-mode Dropout: readers read the input directly.
Status EliminateIdentities(graph::Graph& graph);
// Conv -> BatchNormalization with constant parameters: the BN is folded into the conv's weights and bias.
Status FoldConvBatchNorm(graph::Graph& graph);
// Conv -> Add(other) with `other` ready before the conv: the add becomes the conv's residual input (4th
// input).
Status FuseConvResidual(graph::Graph& graph);
// MatMul(x, W) -> Add(bias) with constant W and bias: PyTorch's Linear on 3-D input, as one kernel.
Status FuseMatMulBias(graph::Graph& graph);
// Conv/Gemm/MatMul -> Relu/Clip/HardSwish/Sigmoid: the activation moves into the producer's epilogue.
Status FuseActivation(graph::Graph& graph);

}  // namespace missile::passes
