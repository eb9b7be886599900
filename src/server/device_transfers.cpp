#include "server/device_transfers.h"

#include <condition_variable>

namespace missile::server {

Result<std::unique_ptr<DeviceTransfers>> DeviceTransfers::CreateHostMemcpy(
    const pcie::TransferConfig& config) {
  std::unique_ptr<DeviceTransfers> transfers(new DeviceTransfers());
  transfers->to_device_engine_ = std::make_unique<pcie::HostMemcpyEngine>();
  transfers->to_host_engine_ = std::make_unique<pcie::HostMemcpyEngine>();
  MISSILE_ASSIGN_OR_RETURN(transfers->to_device_,
                           pcie::TransferScheduler::Create(config, pcie::Direction::kHostToDevice,
                                                           *transfers->to_device_engine_, transfers->clock_));
  MISSILE_ASSIGN_OR_RETURN(transfers->to_host_,
                           pcie::TransferScheduler::Create(config, pcie::Direction::kDeviceToHost,
                                                           *transfers->to_host_engine_, transfers->clock_));
  return transfers;
}

DeviceTransfers::~DeviceTransfers() {
  // Schedulers first: they wait for their issued chunks, which the engines complete.
  to_device_.reset();
  to_host_.reset();
}

Status DeviceTransfers::AddTenant(pcie::TenantId tenant, const pcie::TenantParams& params) {
  MISSILE_RETURN_IF_ERROR(to_device_->AddTenant(tenant, params));
  return to_host_->AddTenant(tenant, params);
}

Status DeviceTransfers::Copy(pcie::Direction direction, pcie::TenantId tenant,
                             std::span<const CopySpan> spans) {
  // Completions arrive on the engine's thread; the caller sleeps until the count reaches zero.
  struct Waiter {
    std::mutex mutex;
    std::condition_variable done;
    size_t pending = 0;
    Status first_error;
  } waiter;
  waiter.pending = spans.size();
  const auto finish_one = [&waiter](const Status& status) {
    std::lock_guard lock(waiter.mutex);
    if (!status.ok() && waiter.first_error.ok()) waiter.first_error = status;
    if (--waiter.pending == 0) waiter.done.notify_all();
  };
  pcie::TransferScheduler& scheduler = Scheduler(direction);
  for (const CopySpan& span : spans) {
    auto submitted = scheduler.Submit({tenant, span.src, span.dst, span.bytes, false}, finish_one);
    if (!submitted.ok()) finish_one(submitted.status());
  }
  std::unique_lock lock(waiter.mutex);
  waiter.done.wait(lock, [&] { return waiter.pending == 0; });
  return waiter.first_error;
}

void DeviceTransfers::CountCopiedOnDevice(pcie::Direction direction, pcie::TenantId tenant, uint64_t bytes) {
  std::lock_guard lock(device_copies_mutex_);
  DeviceCopies& copies = device_copies_[{direction, tenant}];
  copies.bytes += bytes;
  ++copies.transfers;
}

std::vector<pcie::TenantTransferStats> DeviceTransfers::Metrics(pcie::Direction direction) const {
  std::vector<pcie::TenantTransferStats> stats = Scheduler(direction).Metrics();
  std::lock_guard lock(device_copies_mutex_);
  for (pcie::TenantTransferStats& tenant : stats) {
    auto it = device_copies_.find({direction, tenant.tenant});
    if (it == device_copies_.end()) continue;
    tenant.bytes += it->second.bytes;
    tenant.transfers_completed += it->second.transfers;
  }
  return stats;
}

}  // namespace missile::server
