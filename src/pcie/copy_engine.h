// The mechanism under the transfer scheduler: something that copies one chunk at a time between host and
// device memory. Implementations: a modelled engine on a virtual clock (tests, simulator), a host memcpy
// engine (integrity tests on the CPU), and the CUDA engine (cuda/cuda_copy_engine.h: cudaMemcpyAsync on one
// stream per direction).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "pcie/transfer_types.h"

namespace missile::pcie {

// One copy handed to an engine. Its issuer owns it and keeps it alive, untouched, until the engine reports it
// done; the scheduler recycles these objects, so issuing allocates nothing.
struct ChunkCopy {
  const void* src = nullptr;
  void* dst = nullptr;
  uint64_t bytes = 0;
  Direction direction = Direction::kHostToDevice;
  // Set when the host side is pageable: the copy goes through this pinned buffer (at least `bytes` long),
  // host -> staging -> device or device -> staging -> host. The engine does the host-side memcpy on its own
  // thread, so pageable memory is never copied on the issuing thread.
  std::byte* staging = nullptr;
};

class CopyListener {
 public:
  // Called exactly once per issued copy, possibly on the engine's own thread, never from inside Issue().
  virtual void OnChunkCopied(ChunkCopy& copy, Status status) = 0;

 protected:
  ~CopyListener() = default;
};

class CopyEngine {
 public:
  virtual ~CopyEngine() = default;

  // Queues `copy` behind every copy issued before it (first in, first out, as a hardware copy engine serves
  // one stream) and returns without waiting. Errors come back through the listener, like CUDA's.
  virtual void Issue(ChunkCopy& copy, CopyListener& listener) = 0;
};

}  // namespace missile::pcie
