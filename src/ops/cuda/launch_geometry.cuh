// Launch sizes for the elementwise-style kernels: grid-stride loops over n elements, with enough blocks to
// fill the GPU several times over but never more than the work needs.
#pragma once

#include <cstdint>

namespace missile::ops::cuda {

inline constexpr int kThreadsPerBlock = 256;
// 132 SMs x 16 blocks of 256 threads keep an H200 (2048 threads per SM) full; more blocks only add launch
// cost to a grid-stride loop.
inline constexpr int64_t kMaxBlocks = 132 * 16;

inline unsigned BlocksFor(int64_t n, int threads = kThreadsPerBlock) {
  const int64_t needed = (n + threads - 1) / threads;
  return static_cast<unsigned>(needed < 1 ? 1 : (needed < kMaxBlocks ? needed : kMaxBlocks));
}

// for (i = global thread; i < n; i += all threads): the loop every grid-stride kernel uses.
#define MISSILE_GRID_STRIDE_LOOP(i, n)                                                   \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

}  // namespace missile::ops::cuda
