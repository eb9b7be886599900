// The work one planned kernel does, from its node's shapes alone: arithmetic (FLOPs), DRAM bytes, and for
// matrix-multiply-like kernels the GEMM they amount to. The profile synthesizer turns this into durations.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "graph/graph.h"

namespace missile::sched {

struct KernelWorkload {
  std::string op;  // "Conv+Relu", "Conv+Add+Relu" (residual fused), "MaxPool"...
  double flops = 0;
  // Every input (weights included) read once and every output written once, floating-point tensors at the
  // precision's element size. Caches are not modelled: an activation the previous kernel just wrote may in
  // truth come from L2 (60 MiB on the H200), so this is an upper bound on DRAM traffic.
  double bytes = 0;
  int64_t output_elements = 0;
  // Set for kernels that run as a GEMM on tensor cores (convolutions other than depthwise, Gemm, MatMul):
  // `gemm_batch` independent products of [gemm_m x gemm_k] by [gemm_k x gemm_n].
  bool tensor_core = false;
  int64_t gemm_m = 0;
  int64_t gemm_n = 0;
  int64_t gemm_k = 0;
  int64_t gemm_batch = 0;
};

// `float_bytes`: bytes per floating-point element at the precision being profiled (2 for fp16, 4 for fp32).
// The node's inputs and outputs must have shapes (the graph went through shape inference).
Result<KernelWorkload> DescribeKernelWork(const graph::Graph& graph, const graph::Node& node,
                                          int float_bytes);

}  // namespace missile::sched
