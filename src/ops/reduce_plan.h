// How a GPU reduction walks its input (ReduceSum, ReduceMax, ... and the global pools): every output element
// folds `reduced_count` input elements, found through two strided indices over the contiguous input, so one
// set of kernels serves any set of reduced axes. Also how the work is spread over the GPU. Plain C++ so that
// the CPU unit tests cover the index arithmetic and the launch choices the GPU kernels rely on.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "ops/strided_index.h"

namespace missile::ops {

struct ReducePlan {
  // Output element o (row-major over the kept dims) folds the input elements at
  // outputs.Offset(o) + reduced.Offset(k) for k in [0, reduced_count). Size-1 dims are dropped and adjacent
  // dims of one kind merged, so the common cases are rank 0 or 1.
  StridedIndex outputs;
  StridedIndex reduced;
  int64_t output_count = 1;
  int64_t reduced_count = 1;
  // The innermost input dim (of size > 1) is kept: neighbouring outputs read neighbouring input elements, so
  // one thread per output reads coalesced memory.
  bool outputs_adjacent = false;

  // `reduced` has one flag per dim of `shape`.
  static Result<ReducePlan> From(std::span<const int64_t> shape, const std::vector<bool>& reduced);
};

// How the reduction is spread over threads.
enum class ReduceStrategy {
  kColumns,  // a 32-wide tile of adjacent outputs per block, 8 threads down the reduced elements of each
  kWarpPerOutput,   // one warp per output, lanes striding the reduced elements
  kBlockPerOutput,  // one block per output, for long reductions
};

struct ReduceLaunch {
  ReduceStrategy strategy = ReduceStrategy::kWarpPerOutput;
  // When there are too few outputs to fill the GPU, each output's reduced elements are split into `slices`
  // consecutive runs of `slice_length` (the last may be shorter), reduced by different blocks into a
  // workspace of slices partial results per output, which a second kernel combines.
  int64_t slices = 1;
  int64_t slice_length = 0;
};

// Threads per block of each strategy; the kernels are written for exactly these.
inline constexpr int kReduceColumnsWidth = 32;       // outputs per kColumns block (threadIdx.x)
inline constexpr int kReduceColumnsHeight = 8;       // threads per output in a kColumns block (threadIdx.y)
inline constexpr int kReduceWarpBlockThreads = 128;  // kWarpPerOutput: 4 outputs per block
inline constexpr int kReduceBlockThreads = 512;      // kBlockPerOutput
// Reductions longer than this get a block per output rather than a warp.
inline constexpr int64_t kReduceWarpMaxLength = 2048;
// A split gives each thread at least this many elements per slice: shorter reductions are not split (a
// LayerNorm-style mean over 768 elements is one launch).
inline constexpr int64_t kReduceMinPerThread = 16;
// Partial results per output at most (the combining kernel reads them one by one).
inline constexpr int64_t kReduceMaxSlices = 256;
// Threads an H200 keeps resident: 132 SMs x 2048.
inline constexpr int64_t kResidentThreads = 132 * 2048;

ReduceLaunch PlanReduceLaunch(const ReducePlan& plan, int64_t resident_threads = kResidentThreads);

}  // namespace missile::ops
