// The memory-bound kernel of the interference benchmark: one streaming read over a buffer much larger than
// L2, every byte read once (no reuse), so its speed is the DRAM bandwidth its SMs can pull.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/status.h"

namespace missile::bench {

class StreamRead {
 public:
  // `buffer` of `bytes` (a multiple of 16) in device memory.
  static Result<StreamRead> Create(const void* buffer, uint64_t bytes);
  // One read of the whole buffer into `stream`, with enough blocks to fill `sms` SMs.
  Status Enqueue(cudaStream_t stream, int sms) const;
  uint64_t bytes() const { return bytes_; }

 private:
  const void* buffer_ = nullptr;
  uint64_t bytes_ = 0;
  int blocks_per_sm_ = 0;
  float* sink_ = nullptr;  // never written in practice: keeps the reads from being optimised away
};

}  // namespace missile::bench
