#include "sched/roofline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace missile::sched {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

struct BlockPlan {
  int64_t blocks = 1;
  double block_flops = 0;  // arithmetic one block performs, padding included
  double extra_bytes = 0;  // split-K partial sums, written and read back once in fp32
};

BlockPlan PlanGemmBlocks(const KernelWorkload& work, const GpuLayout& layout, const RooflineAssumptions& a) {
  const auto tiles_of = [&](int tile) {
    return work.gemm_batch * CeilDiv(work.gemm_m, tile) * CeilDiv(work.gemm_n, tile);
  };
  const int tile = tiles_of(a.large_tile) >= layout.sms ? a.large_tile : a.small_tile;
  const int64_t tiles = tiles_of(tile);
  int64_t split_k = 1;
  if (tiles < layout.sms) {
    const int64_t deepest = std::max<int64_t>(1, work.gemm_k / a.min_split_k_depth);
    split_k = std::clamp<int64_t>(layout.sms / tiles, 1, deepest);
  }
  BlockPlan plan;
  plan.blocks = tiles * split_k;
  plan.block_flops = 2.0 * tile * tile * static_cast<double>(CeilDiv(work.gemm_k, split_k));
  if (split_k > 1) {
    plan.extra_bytes = 2.0 * static_cast<double>(split_k) * static_cast<double>(work.gemm_batch) *
                       static_cast<double>(work.gemm_m) * static_cast<double>(work.gemm_n) * 4.0;
  }
  return plan;
}

BlockPlan PlanSimtBlocks(const KernelWorkload& work, const RooflineAssumptions& a) {
  const double items = std::max(static_cast<double>(work.output_elements), work.flops);
  BlockPlan plan;
  plan.blocks = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(items / a.elements_per_block)));
  plan.block_flops = work.flops / static_cast<double>(plan.blocks);
  return plan;
}

}  // namespace

RooflineAssumptions RooflineAssumptions::H200(int float_bytes) {
  RooflineAssumptions a;
  if (float_bytes >= 4) {
    a.tensor_tflops = 67;
    a.simt_tflops = 67;
  }
  return a;
}

std::vector<std::string> RooflineAssumptions::Describe() const {
  return {
      fmt::format("GEMM/convolution kernels at {} TFLOP/s effective on the whole GPU (tensor cores), others "
                  "at {} TFLOP/s; a block runs on one SM at 1/SMs of that",
                  tensor_tflops, simt_tflops),
      fmt::format(
          "GEMM blocks: {0}x{0} output tiles, {1}x{1} when those do not fill the GPU, split-K (>= {2} "
          "deep) while tiles alone do not fill it; other kernels: one block per {3} elements",
          large_tile, small_tile, min_split_k_depth, elements_per_block),
      "DRAM: every input and output read/written once (no L2 reuse), at the streaming bandwidth the measured "
      "H200 curve gives for the SMs the kernel occupies (647 GB/s on 8 SMs .. 4490 GB/s on 132)",
      fmt::format("duration = {} us per-kernel overhead + max(compute waves, memory time)",
                  kernel_overhead_us),
  };
}

KernelTiming TimeKernel(const KernelWorkload& work, const GpuLayout& layout, const ContentionModel& dram,
                        const RooflineAssumptions& a) {
  const BlockPlan plan = work.tensor_core ? PlanGemmBlocks(work, layout, a) : PlanSimtBlocks(work, a);
  const double tflops = work.tensor_core ? a.tensor_tflops : a.simt_tflops;
  const double per_sm_flops_per_us = tflops * 1e6 / layout.sms;  // TFLOP/s = 1e6 FLOP/us
  const double block_us = plan.block_flops / per_sm_flops_per_us;

  KernelTiming timing;
  timing.blocks = plan.blocks;
  timing.bytes = work.bytes + plan.extra_bytes;
  double full_compute = 0, full_memory = 0;
  for (int g = 1; g <= layout.groups(); ++g) {
    const int64_t used = std::min<int64_t>(layout.SmsInFirst(g), plan.blocks);
    const double waves = static_cast<double>(CeilDiv(plan.blocks, used));
    const double compute_us = waves * block_us;
    const double memory_us = timing.bytes / (dram.StreamingBandwidth(static_cast<double>(used)) * 1e3);
    timing.duration_us.push_back(a.kernel_overhead_us + std::max(compute_us, memory_us));
    full_compute = compute_us;
    full_memory = memory_us;
  }
  timing.memory_bound = full_memory >= full_compute;
  const double used_full = static_cast<double>(std::min<int64_t>(layout.sms, plan.blocks));
  const double achieved_gbps = timing.bytes / (timing.duration_us.back() * 1e3);
  timing.memory_intensity = std::clamp(achieved_gbps / dram.StreamingBandwidth(used_full), 0.0, 1.0);
  return timing;
}

}  // namespace missile::sched
