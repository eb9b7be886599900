// Which SM partitions the benchmark runs on. `auto` makes green-context partitions and checks them: an LS
// request run in the smallest partitions at each end and in a large one must give the outputs of the whole
// GPU (cuDNN and cuBLASLt kernels launched into green-context streams included). Where green contexts cannot
// be made or the check fails, it runs every partition on the whole GPU and says so; `none` does that always.
#pragma once

#include <memory>
#include <string>

#include "colocation_runs.h"
#include "sched/cuda/partition_streams.h"

namespace missile::bench {

struct PartitionSetup {
  std::unique_ptr<sched::cuda::PartitionStreams> streams;
  std::string note;  // what the check found, or why there are no partitions
};

// `probe`: a tenant whose request the check runs (its inputs staged).
Result<PartitionSetup> SetUpPartitions(const std::string& mode, const GpuTenant& probe,
                                       const sched::GpuLayout& layout);

}  // namespace missile::bench
