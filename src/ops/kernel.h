// A kernel: one node's computation on one backend, built once for fixed shapes and run many times.
//
// Everything that can be decided ahead (geometry, packed weights, workspace size) is decided when the kernel
// is built, so Run only touches the buffers: it is on the per-request hot path.
#pragma once

#include <cstddef>

#include "core/status.h"

namespace missile::ops {

namespace cuda {
struct LaunchContext;
}

struct KernelArgs {
  const void* const* inputs = nullptr;  // one per node input; nullptr for an omitted optional input
  void* const* outputs = nullptr;       // one per node output, planned buffers of the inferred sizes
  void* workspace = nullptr;            // workspace_bytes() of scratch, valid only during Run
  // GPU kernels: the stream to enqueue on and the library handles bound to it (ops/cuda/launch_context.h).
  // A GPU kernel's Run only enqueues work, so the scheduler decides which stream (SM partition) it lands in
  // at every launch. CPU kernels ignore it.
  const cuda::LaunchContext* launch = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual size_t workspace_bytes() const { return 0; }
  // Fails only on data-dependent errors (e.g. a Gather index out of range): shapes were checked at build
  // time.
  virtual Status Run(const KernelArgs& args) const = 0;
};

}  // namespace missile::ops
