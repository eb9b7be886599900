// What the program knows about the GPUs it can see: the facts the scheduler and the reports depend on.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace missile::device {

struct GpuInfo {
  int index = 0;
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int sm_count = 0;
  size_t memory_bytes = 0;
  size_t l2_bytes = 0;
  size_t persisting_l2_max_bytes = 0;  // the most L2 that access-policy windows may set aside
  int async_copy_engines = 0;
  int stream_priority_least = 0;  // CUDA numbering: lower is more urgent
  int stream_priority_greatest = 0;
  int memory_bus_bits = 0;
  int driver_version = 0;   // e.g. 13000
  int runtime_version = 0;  // the CUDA runtime this binary was built with
};

// The GPUs visible to this process. Unavailable (with the reason) when the build has no CUDA support or no
// driver/GPU is present; never aborts.
Result<std::vector<GpuInfo>> QueryGpus();

// Whether this binary was built with CUDA support.
bool BuiltWithCuda();

}  // namespace missile::device
