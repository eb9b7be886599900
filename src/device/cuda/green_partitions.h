// SM partitions through CUDA green contexts: the mechanism behind sched::GroupRange on the GPU.
//
// The device's SMs are split once into groups of `sms_per_group`, each inside one GPC; the SMs left over join
// the last group (on the H200: 14 groups of 8 and a last one of 8 + 12). A green context is created ahead of
// time for every range the compute scheduler hands out: each prefix [0, k), each suffix [k, n) and the whole
// GPU [0, n). Streams are made on demand per (range, CUDA priority) and kept, so choosing a partition at run
// time is a map lookup, never a context creation. Memory from cudaMalloc in the primary context is usable by
// kernels in every partition.
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
  int groups = 0;         // all of sms_per_group SMs but the last, which also holds the remainder
  // The groups were split regardless of GPC boundaries (the driver's GPC-aligned split was unusable): a
  // kernel needing thread-block clusters of more than one block may not launch in them.
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

  // While the returned object lives, the green context of [begin, end) is current on the calling thread, so
  // runtime and library calls made meanwhile act inside that partition: streams and cuDNN/cuBLASLt handles
  // created then belong to it, and a model built then has cuDNN search its algorithms there. A green
  // context can be current on one thread at a time; destroy the scope on the thread that made it.
  class CurrentScope {
   public:
    virtual ~CurrentScope() = default;
  };
  virtual Result<std::unique_ptr<CurrentScope>> MakeCurrent(int begin, int end) {
    return Error(ErrorCode::kUnimplemented, "these partitions cannot be made current");
  }
};

}  // namespace missile::device::cuda
