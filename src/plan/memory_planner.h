// Places buffers with known lifetimes in one arena so that buffers alive at the same time never overlap.
// Pure arithmetic: the same plan serves host memory (CPU backend) and device memory (CUDA backend).
#pragma once

#include <cstddef>
#include <vector>

namespace missile::plan {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // the buffer is live during steps [first_step, last_step]
  int last_step = 0;
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request
  size_t arena_bytes = 0;
};

// Every offset is a multiple of this: enough for any vector load and for GPU coalescing.
inline constexpr size_t kBufferAlignment = 256;

// Greedy by size: the largest buffers are placed first, each at the lowest offset free for its whole
// lifetime.
MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests);

}  // namespace missile::plan
