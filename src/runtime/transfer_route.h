// How a device backend's host<->device copies reach the PCIe link. Without a route the CUDA backend copies
// with cudaMemcpy(Async) on its own stream, where a copy queues behind whatever any other tenant has put on
// the link (docs/pcie.md: 188 ms at p99). With one, every copy a session makes (request inputs, outputs,
// weight uploads) goes through it: in the server, the tenant's transfer schedulers (src/pcie), which chunk,
// weight and bound each tenant's copies.
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"
#include "pcie/transfer_types.h"

namespace missile::runtime {

// One contiguous copy between host and device memory (src and dst as the direction says).
struct HostDeviceCopy {
  const void* src = nullptr;
  void* dst = nullptr;
  uint64_t bytes = 0;
  // The host side is ordinary pageable memory, not page-locked: the route stages it.
  bool host_pageable = false;
};

class TransferRoute {
 public:
  virtual ~TransferRoute() = default;
  // Copies every span and returns once all of them have landed: the first error, if any, after every copy
  // has finished with the caller's buffers. Called from the session's thread; may block.
  virtual Status Copy(pcie::Direction direction, std::span<const HostDeviceCopy> copies) = 0;
};

}  // namespace missile::runtime
