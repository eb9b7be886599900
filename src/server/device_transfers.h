// The server's host<->device copies, one transfer scheduler per direction (src/pcie: CFS over the link,
// weighted by each tenant's pcie_nice). A request's inputs go host->device through it before the model runs
// and its outputs come back device->host after, so the PCIe metrics show what each tenant moved and waited.
//
// Two mechanisms under the same schedulers:
// - host memcpy (CreateHostMemcpy): on the CPU backend "device memory" is host memory and the copy engine is
//   a memcpy thread; the copies are real, the link is not, but every request follows the path it will take
//   on the GPU;
// - CUDA (CreateCuda): one CudaCopyEngine per direction and pinned staging buffers, the link for real.
// RouteFor(tenant) gives a session the tenant's route (runtime/transfer_route.h), so that the CUDA backend's
// own copies (inputs, outputs, weight uploads) go through the schedulers too.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "pcie/clock.h"
#include "pcie/copy_engine.h"
#include "pcie/host_allocator.h"
#include "pcie/transfer_scheduler.h"
#include "runtime/transfer_route.h"

namespace missile::server {

using CopySpan = runtime::HostDeviceCopy;

class DeviceTransfers {
 public:
  static Result<std::unique_ptr<DeviceTransfers>> CreateHostMemcpy(const pcie::TransferConfig& config = {});
  // On the current CUDA device; kUnavailable in a build without CUDA, or the engine's error without a GPU.
  static Result<std::unique_ptr<DeviceTransfers>> CreateCuda(const pcie::TransferConfig& config = {});
  ~DeviceTransfers();

  // Registers the tenant with both directions' schedulers.
  Status AddTenant(pcie::TenantId tenant, const pcie::TenantParams& params);

  // Submits every span as one transfer of the tenant and blocks until all have landed; the first error, if
  // any, after all have finished (none is left running against the caller's buffers). Spans marked
  // host_pageable are staged through the schedulers' pinned (CUDA) or aligned (host) staging buffers.
  Status Copy(pcie::Direction direction, pcie::TenantId tenant, std::span<const CopySpan> spans);

  // The tenant's copies as a route for its sessions (BackendOptions::transfer_route). The route refers to
  // this object, which must outlive it; an unknown tenant's copies fail with kNotFound.
  std::unique_ptr<runtime::TransferRoute> RouteFor(pcie::TenantId tenant);

  // Counts bytes a device copied on its own stream, outside the link scheduler (the CUDA executable stages
  // and copies its inputs and outputs itself): they show in the tenant's bytes and transfers, with no wait,
  // since no scheduler held them.
  void CountCopiedOnDevice(pcie::Direction direction, pcie::TenantId tenant, uint64_t bytes);

  // The schedulers' statistics with the device's own copies added.
  std::vector<pcie::TenantTransferStats> Metrics(pcie::Direction direction) const;

 private:
  DeviceTransfers() = default;
  static Result<std::unique_ptr<DeviceTransfers>> Create(const pcie::TransferConfig& config,
                                                         std::unique_ptr<pcie::CopyEngine> to_device_engine,
                                                         std::unique_ptr<pcie::CopyEngine> to_host_engine,
                                                         std::unique_ptr<pcie::HostAllocator> staging);
  pcie::TransferScheduler& Scheduler(pcie::Direction direction) const {
    return direction == pcie::Direction::kHostToDevice ? *to_device_ : *to_host_;
  }

  struct DeviceCopies {
    uint64_t bytes = 0;
    uint64_t transfers = 0;
  };
  mutable std::mutex device_copies_mutex_;
  std::map<std::pair<pcie::Direction, pcie::TenantId>, DeviceCopies> device_copies_;

  pcie::SteadyClock clock_;
  // Engines and the staging allocator outlive the schedulers that use them (members are destroyed in reverse
  // order, and the destructor resets the schedulers first anyway).
  std::unique_ptr<pcie::HostAllocator> staging_allocator_;
  std::unique_ptr<pcie::CopyEngine> to_device_engine_;
  std::unique_ptr<pcie::CopyEngine> to_host_engine_;
  std::unique_ptr<pcie::TransferScheduler> to_device_;
  std::unique_ptr<pcie::TransferScheduler> to_host_;
};

}  // namespace missile::server
