// Where a launch into (SM partition, stream priority) goes on the GPU: a stream per (lane, partition,
// priority). A lane is one tenant: tenants never share a stream, so two tenants the policy puts into the same
// partition at the same priority still run side by side (as `shared` means), and a tenant's kernels stay in
// order because it launches one segment at a time.
//
// Two providers: GreenPartitionStreams (green_partition_streams.h), where a stream runs only on its
// partition's SMs, and WholeGpuStreams, where every partition is the whole GPU and only the priority is real:
// what runs where green contexts cannot be made, and says so (partitioned() is false).
#pragma once

#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "core/status.h"
#include "device/cuda/stream.h"
#include "sched/scheduler_view.h"
#include "sched/sm_layout.h"

namespace missile::sched::cuda {

class PartitionStreams {
 public:
  virtual ~PartitionStreams() = default;
  // `cuda_priority` in CUDA's numbering (0 least urgent, down to -5 on the H200). The stream lives as long as
  // this object. Thread-safe.
  virtual Result<cudaStream_t> StreamFor(TenantId lane, const GroupRange& partition, int cuda_priority) = 0;
  // Whether a partition's kernels really stay on its SMs.
  virtual bool partitioned() const = 0;
  // One line for logs and results: what partitions mean here.
  virtual std::string description() const = 0;
};

// Every partition is the whole GPU: one stream per (lane, priority).
class WholeGpuStreams final : public PartitionStreams {
 public:
  // `why`: why there are no real partitions (shown in description()).
  explicit WholeGpuStreams(std::string why) : why_(std::move(why)) {}
  Result<cudaStream_t> StreamFor(TenantId lane, const GroupRange& partition, int cuda_priority) override;
  bool partitioned() const override { return false; }
  std::string description() const override;

 private:
  std::string why_;
  std::mutex mutex_;
  std::map<std::pair<TenantId, int>, device::cuda::Stream> streams_;
};

// The CUDA stream priority of a policy's level (scheduler_view.h: level p is CUDA priority -p).
inline int CudaPriorityOf(int stream_priority) {
  return -stream_priority;
}

}  // namespace missile::sched::cuda
