#include "sched/cuda/green_partition_streams.h"

#include <fmt/format.h>

namespace missile::sched::cuda {
namespace {

Status CheckLayout(const device::cuda::SmGroups& groups, const GpuLayout& layout) {
  if (groups.sms != layout.sms || groups.sms_per_group != layout.sms_per_group ||
      groups.groups != layout.groups()) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "the device splits into {} groups of {} SMs ({} SMs), the scheduler's layout is {} groups of "
        "{} ({} SMs)",
        groups.groups, groups.sms_per_group, groups.sms, layout.groups(), layout.sms_per_group, layout.sms);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<GreenPartitionStreams>> GreenPartitionStreams::Create(const GpuLayout& layout) {
  std::unique_ptr<GreenPartitionStreams> streams(new GreenPartitionStreams(layout));
  // Lane 0 now, so that a device without green contexts is found out here rather than at the first launch.
  MISSILE_ASSIGN_OR_RETURN(auto first, device::cuda::GreenPartitions::Create(layout.sms_per_group));
  MISSILE_RETURN_IF_ERROR(CheckLayout(first->layout(), layout));
  streams->lanes_.emplace(0, std::move(first));
  return streams;
}

Result<cudaStream_t> GreenPartitionStreams::StreamFor(TenantId lane, const GroupRange& partition,
                                                      int cuda_priority) {
  if (partition.empty() || partition.begin < 0 || partition.end > layout_.groups()) {
    return Error(ErrorCode::kInvalidArgument, "SM partition [{},{}) is not on this GPU ({} groups)",
                 partition.begin, partition.end, layout_.groups());
  }
  device::cuda::GreenPartitions* partitions = nullptr;
  {
    std::lock_guard lock(mutex_);
    std::unique_ptr<device::cuda::GreenPartitions>& entry = lanes_[lane];
    if (entry == nullptr) {
      auto made = device::cuda::GreenPartitions::Create(layout_.sms_per_group);
      if (!made.ok()) {
        lanes_.erase(lane);
        return made.status().WithContext(fmt::format("SM partitions for lane {}", lane));
      }
      entry = std::move(made).value();
    }
    partitions = entry.get();
  }
  return partitions->StreamFor(partition.begin, partition.end, cuda_priority);
}

std::string GreenPartitionStreams::description() const {
  return fmt::format(
      "green-context SM partitions: {} groups of {} SMs ({} SMs), a set of green contexts per tenant",
      layout_.groups(), layout_.sms_per_group, layout_.sms);
}

}  // namespace missile::sched::cuda
