#include "server/device_transfers.h"

#include <condition_variable>

#include "pcie/host_memcpy_engine.h"

#ifdef MISSILE_HAVE_CUDA
#include "pcie/cuda/cuda_copy_engine.h"
#include "pcie/cuda/pinned_host_allocator.h"
#endif

namespace missile::server {
namespace {

// One tenant's copies, for a session's backend.
class TenantRoute final : public runtime::TransferRoute {
 public:
  TenantRoute(DeviceTransfers& transfers, pcie::TenantId tenant) : transfers_(transfers), tenant_(tenant) {}
  Status Copy(pcie::Direction direction, std::span<const runtime::HostDeviceCopy> copies) override {
    return transfers_.Copy(direction, tenant_, copies);
  }

 private:
  DeviceTransfers& transfers_;
  const pcie::TenantId tenant_;
};

}  // namespace

Result<std::unique_ptr<DeviceTransfers>> DeviceTransfers::Create(
    const pcie::TransferConfig& config, std::unique_ptr<pcie::CopyEngine> to_device_engine,
    std::unique_ptr<pcie::CopyEngine> to_host_engine, std::unique_ptr<pcie::HostAllocator> staging) {
  std::unique_ptr<DeviceTransfers> transfers(new DeviceTransfers());
  transfers->staging_allocator_ = std::move(staging);
  transfers->to_device_engine_ = std::move(to_device_engine);
  transfers->to_host_engine_ = std::move(to_host_engine);
  MISSILE_ASSIGN_OR_RETURN(
      transfers->to_device_,
      pcie::TransferScheduler::Create(config, pcie::Direction::kHostToDevice, *transfers->to_device_engine_,
                                      transfers->clock_, transfers->staging_allocator_.get()));
  MISSILE_ASSIGN_OR_RETURN(
      transfers->to_host_,
      pcie::TransferScheduler::Create(config, pcie::Direction::kDeviceToHost, *transfers->to_host_engine_,
                                      transfers->clock_, transfers->staging_allocator_.get()));
  return transfers;
}

Result<std::unique_ptr<DeviceTransfers>> DeviceTransfers::CreateHostMemcpy(
    const pcie::TransferConfig& config) {
  return Create(config, std::make_unique<pcie::HostMemcpyEngine>(),
                std::make_unique<pcie::HostMemcpyEngine>(), std::make_unique<pcie::AlignedHostAllocator>());
}

Result<std::unique_ptr<DeviceTransfers>> DeviceTransfers::CreateCuda(const pcie::TransferConfig& config) {
#ifdef MISSILE_HAVE_CUDA
  MISSILE_ASSIGN_OR_RETURN(auto to_device, pcie::CudaCopyEngine::Create(pcie::Direction::kHostToDevice));
  MISSILE_ASSIGN_OR_RETURN(auto to_host, pcie::CudaCopyEngine::Create(pcie::Direction::kDeviceToHost));
  return Create(config, std::move(to_device), std::move(to_host),
                std::make_unique<pcie::PinnedHostAllocator>());
#else
  (void)config;
  return Error(ErrorCode::kUnavailable,
               "this build of missile has no CUDA: host-device transfers through CUDA copy engines need it");
#endif
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
    auto submitted =
        scheduler.Submit({tenant, span.src, span.dst, span.bytes, span.host_pageable}, finish_one);
    if (!submitted.ok()) finish_one(submitted.status());
  }
  std::unique_lock lock(waiter.mutex);
  waiter.done.wait(lock, [&] { return waiter.pending == 0; });
  return waiter.first_error;
}

std::unique_ptr<runtime::TransferRoute> DeviceTransfers::RouteFor(pcie::TenantId tenant) {
  return std::make_unique<TenantRoute>(*this, tenant);
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
