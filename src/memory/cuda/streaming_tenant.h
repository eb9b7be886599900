// A best-effort tenant that does nothing but stream a large buffer through L2 (read, modify, write back):
// the memory interference the L2 set-aside is meant to keep away from LS tenants, for benchmarks and
// experiments.
//
// Its grid is `blocks` persistent blocks, each holding more than half an SM's shared memory, so no two share
// an SM: it occupies at most `blocks` SMs' worth of block slots while its traffic reaches every L2 slice and
// channel. LS kernels can still run beside it (the rest of each SM's threads and registers stay free).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/status.h"

namespace missile::memory::cuda {

class StreamingTenant {
 public:
  // `buffer` of `bytes` (a multiple of 16) on `device`.
  static Result<StreamingTenant> Create(int device, void* buffer, uint64_t bytes, int blocks);

  // Enqueues one pass over the buffer on `stream`: `bytes` read and written.
  Status EnqueuePass(cudaStream_t stream) const;
  uint64_t bytes_per_pass() const { return 2 * bytes_; }

 private:
  void* buffer_ = nullptr;
  uint64_t bytes_ = 0;
  int blocks_ = 0;
  size_t shared_bytes_ = 0;
};

}  // namespace missile::memory::cuda
