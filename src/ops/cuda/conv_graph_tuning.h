// Choosing the cuDNN graph-API plan for one convolution shape by timing candidates (the graph API's
// counterpart of cudnnFind), and what running the chosen plan needs.
//
// The operation graph is built twice when the node has an epilogue -- with the bias, residual and activation
// fused as pointwise steps, and bare (Missile's epilogue kernel follows) -- cuDNN's heuristics (mode A, then
// the fallback list) propose engine configurations for each, and the first that finalize are timed on scratch
// buffers, the epilogue kernel included where one follows. The fastest wins.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "ops/cuda/conv_setup.h"
#include "ops/cuda/cudnn/conv_graph.h"
#include "ops/cuda/cudnn/engine_search.h"

namespace missile::ops::cuda {

// A tuned convolution: the graph, the plan that won, and whether Missile's epilogue kernel follows it.
struct TunedConv {
  std::shared_ptr<const cudnn::ConvGraph> graph;
  cudnn::ExecutionPlan plan;
  bool epilogue_after = false;
};

struct ConvPointers {
  const void* x = nullptr;
  const void* w = nullptr;
  void* y = nullptr;
  const void* bias = nullptr;
  const void* residual = nullptr;
};

// The device pointers in the order of the graph's unique ids.
std::vector<void*> BindPointers(std::span<const int64_t> uids, const ConvPointers& p);
// y = act(y + bias + residual) after a bare convolution.
Status EnqueueEpilogueAfter(const ConvSetup& setup, const ConvPointers& p, cudaStream_t stream);

// kUnimplemented when no cuDNN engine takes the convolution (the caller falls back to the legacy API).
// MISSILE_CUDNN_PLANS bounds the plans timed per graph; MISSILE_CUDNN_VERBOSE=1 prints them to stderr.
Result<std::shared_ptr<const TunedConv>> TuneGraphConv(const ConvSetup& setup, const BuildContext& build);

}  // namespace missile::ops::cuda
