// SM partitions through CUDA green contexts: the mechanism behind sched::GroupRange on the GPU.
//
// The device's SMs are split once into groups of `sms_per_group` (8 on the H200: 16 groups of 8 and one of
// the 4 left over, shared/DEVICE.md). A green context is created ahead of time for every range the compute
// scheduler hands out: each prefix [0, k), each suffix [k, n) and the whole GPU [0, n). Streams are made on
// demand per (range, CUDA priority) and kept, so choosing a partition at run time is a map lookup, never a
// context creation. Memory from cudaMalloc in the primary context is usable by kernels in every partition.
//
// Thread-safe. Where green contexts are missing (an old driver, MIG, a GPU without them) Create() fails with
// a message that says so; callers report that SM partitioning is unavailable instead of pretending.
#pragma once

#include <cuda_runtime.h>

#include <memory>

#include "core/status.h"

namespace missile::device::cuda {

struct SmGroups {
  int sms = 0;            // SMs on the device
  int sms_per_group = 0;  // the split's granularity
  int groups = 0;         // ceil(sms / sms_per_group); the last group holds the remainder
  // The groups were split regardless of GPC boundaries (the driver's GPC-aligned split did not give the
  // layout above): a kernel needing thread-block clusters of more than one block may not launch in them.
  bool clusters_limited = false;
};

class GreenPartitions {
 public:
  // On the current device. `sms_per_group` must be a granularity the device accepts (8 on Hopper).
  static Result<std::unique_ptr<GreenPartitions>> Create(int sms_per_group = 8);
  virtual ~GreenPartitions() = default;

  virtual const SmGroups& layout() const = 0;
  // A stream whose kernels run only on the SMs of groups [begin, end) at CUDA priority `priority` (0 is the
  // least urgent, down to -5 on the H200). Valid ranges: a prefix, a suffix or the whole GPU. The stream
  // lives as long as this object.
  virtual Result<cudaStream_t> StreamFor(int begin, int end, int priority) = 0;
};

}  // namespace missile::device::cuda
