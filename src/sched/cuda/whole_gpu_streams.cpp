#include <fmt/format.h>

#include "sched/cuda/partition_streams.h"

namespace missile::sched::cuda {

Result<cudaStream_t> WholeGpuStreams::StreamFor(TenantId lane, const GroupRange& partition,
                                                int cuda_priority) {
  if (partition.empty()) return Error(ErrorCode::kInvalidArgument, "empty SM partition");
  std::lock_guard lock(mutex_);
  auto it = streams_.find({lane, cuda_priority});
  if (it == streams_.end()) {
    MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create(cuda_priority));
    it = streams_.emplace(std::make_pair(lane, cuda_priority), std::move(stream)).first;
  }
  return it->second.get();
}

std::string WholeGpuStreams::description() const {
  return fmt::format(
      "SM partitions unavailable: {}; running every partition on the whole GPU (stream "
      "priorities only)",
      why_);
}

}  // namespace missile::sched::cuda
