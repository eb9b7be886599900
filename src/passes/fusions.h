// Graph rewrites that cut kernels and memory traffic without changing results beyond float rounding.
// Each runs after shape inference (specs and constants are known) and keeps the graph topologically ordered.
#pragma once

#include "graph/graph.h"

namespace missile::passes {

// Identity and inference-mode Dropout: readers read the input directly.
Status EliminateIdentities(graph::Graph& graph);
// A Transpose that moves no element (it only reorders dims of size 1, as [1, S, E] -> [S, 1, E] at batch 1):
// a Reshape, which the plan aliases instead of copying.
Status TransposesAsViews(graph::Graph& graph);
// Conv -> BatchNormalization with constant parameters: the BN is folded into the conv's weights and bias.
Status FoldConvBatchNorm(graph::Graph& graph);
// Conv -> Add(other) with `other` ready before the conv: the add becomes the conv's residual input (4th
// input).
Status FuseConvResidual(graph::Graph& graph);
// MatMul(x, W) -> Add(bias) with constant W and bias: PyTorch's Linear on 3-D input, as one kernel.
Status FuseMatMulBias(graph::Graph& graph);
// MatMuls reading one activation with constant weights of the same K (Q, K and V projections): one MatMul
// over the weights side by side, the former outputs Slices of it.
Status MergeSiblingMatMuls(graph::Graph& graph);
// The decomposed GELU of exporters before opset 20 (erf or tanh form) -> one Gelu node.
Status FuseGelu(graph::Graph& graph);
// MatMul(Q, K^T) -> [scale] -> [Where(mask)] -> Softmax -> MatMul(., V), with the head split and merge around
// it: one FusedAttention node reading and writing through strides (passes/fuse_attention.cpp).
Status FuseAttention(graph::Graph& graph);
// Transpose(MatMul(W, Transpose(X))) with constant 2-D W and the last two dims swapped both times (GPT-2's
// tied LM head, E x^T transposed back): X x W^T as one Gemm(transB) between two free Reshapes, no transposes.
Status FuseTransposedMatMul(graph::Graph& graph);
// MatMul -> Add(other) with `other` ready before the MatMul and of the output's shape: the add becomes the
// MatMul's residual input (4th input), added in the GEMM's epilogue (a transformer's residual connection).
Status FuseMatMulResidual(graph::Graph& graph);
// Conv/Gemm/MatMul -> Relu/Clip/HardSwish/Sigmoid/Gelu: the activation moves into the producer's epilogue.
Status FuseActivation(graph::Graph& graph);

}  // namespace missile::passes
