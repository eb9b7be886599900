// L2 access-policy windows: an address range whose accesses are marked "persisting", so that they stay in the
// part of L2 set aside for persisting lines while other traffic streams past.
//
// A window is a launch attribute. Set on a stream, it applies to every kernel launched into the stream after
// it was set (cuDNN's and cuBLAS's kernels included). A CUDA graph's kernel nodes carry their own attribute
// instead: CopyStreamWindowToGraph gives a graph captured from a stream the stream's window, whether or not
// the driver copied it during capture, so that both ways of running a request see the same policy.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/status.h"

namespace missile::device::cuda {

struct AccessWindow {
  uint64_t base = 0;    // device address
  uint64_t bytes = 0;   // 0: no window
  float hit_ratio = 0;  // share of the window's lines that get the persisting property
};

// Sets the window on `stream` (hits persist, misses stream); a window of 0 bytes removes it.
Status SetStreamWindow(cudaStream_t stream, const AccessWindow& window);
Result<AccessWindow> GetStreamWindow(cudaStream_t stream);

// Gives every kernel node of `graph` the window of `stream` (nothing to do when the stream has none).
Status CopyStreamWindowToGraph(cudaStream_t stream, cudaGraph_t graph);
// The window of the first kernel node of `graph`, or a 0-byte window when it has no kernel node.
Result<AccessWindow> GetGraphWindow(cudaGraph_t graph);

}  // namespace missile::device::cuda
