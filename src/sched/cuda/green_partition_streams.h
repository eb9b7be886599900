// SM partitions for the launcher through green contexts (device/cuda/green_partitions.h): a stream runs only
// on its partition's SMs. Each lane (tenant) gets its own set of green contexts, because GreenPartitions
// keeps one stream per (range, priority) and two tenants must never share a stream (partition_streams.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "device/cuda/green_partitions.h"
#include "sched/cuda/partition_streams.h"

namespace missile::sched::cuda {

class GreenPartitionStreams final : public PartitionStreams {
 public:
  // Fails, saying why, where green contexts cannot be made or their groups do not match `layout`.
  static Result<std::unique_ptr<GreenPartitionStreams>> Create(const GpuLayout& layout);

  Result<cudaStream_t> StreamFor(TenantId lane, const GroupRange& partition, int cuda_priority) override;
  bool partitioned() const override { return true; }
  std::string description() const override;

 private:
  explicit GreenPartitionStreams(const GpuLayout& layout) : layout_(layout) {}
  const GpuLayout layout_;
  std::mutex mutex_;
  std::map<TenantId, std::unique_ptr<device::cuda::GreenPartitions>> lanes_;
};

}  // namespace missile::sched::cuda
