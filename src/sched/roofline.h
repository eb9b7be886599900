// A roofline model of one kernel on a partition of SMs: the stand-in for measured kernel profiles until the
// H200 measurements replace it (profiles made with it say "source": "synthesized-roofline").
//
// Per kernel, on s SMs:
//   blocks     GEMM-like kernels (tensor cores): output tiles of 128x128, or of 64x64 when 128x128 tiles do
//              not fill the GPU, times a split of the reduction (split-K, at least min_split_k_depth deep per
//              block) while tiles alone do not fill it: what cuBLAS/cuDNN heuristics do for small batches.
//              Other kernels: one block per elements_per_block elements of work.
//   compute    waves x block time, waves = ceil(blocks / min(s, blocks)); a block runs on one SM at 1/sms of
//   the
//              GPU's effective throughput. A kernel with fewer blocks than SMs stops getting faster at its
//              block count, and partial waves and tile padding cost what they cost on the GPU.
//   memory     bytes / streaming bandwidth of min(s, blocks) SMs (the measured H200 curve, contention.h).
//   duration   kernel_overhead + max(compute, memory): launch, first-block latency and tail are a floor that
//              every kernel pays, and compute and memory overlap.
#pragma once

#include <string>
#include <vector>

#include "sched/contention.h"
#include "sched/kernel_workload.h"
#include "sched/sm_layout.h"

namespace missile::sched {

struct RooflineAssumptions {
  double tensor_tflops = 400;       // effective dense tensor-core throughput of the whole GPU for GEMM/conv
  double simt_tflops = 134;         // CUDA-core throughput for everything else
  double kernel_overhead_us = 2.5;  // GPU-side floor per kernel
  int large_tile = 128;
  int small_tile = 64;
  int min_split_k_depth = 256;
  int elements_per_block = 2048;  // elementwise kernels: 256 threads x 8 elements

  // The H200 at a precision, from its element size: fp16 (2 bytes) uses the tensor cores (989 TFLOP/s dense
  // peak, taken at 400 effective for cuDNN convolutions) and half2 CUDA-core math (134 TFLOP/s); fp32 (4
  // bytes) runs on CUDA cores at 67 TFLOP/s everywhere (no TF32).
  static RooflineAssumptions H200(int float_bytes);
  // One line per assumption, for a profile's notes.
  std::vector<std::string> Describe() const;
};

struct KernelTiming {
  int64_t blocks = 0;
  std::vector<double> duration_us;  // per group count 1..layout.groups()
  double memory_intensity = 0;
  bool memory_bound = false;
  double bytes = 0;  // the workload's bytes plus split-K partial sums
};

KernelTiming TimeKernel(const KernelWorkload& work, const GpuLayout& layout, const ContentionModel& dram,
                        const RooflineAssumptions& assumptions);

}  // namespace missile::sched
