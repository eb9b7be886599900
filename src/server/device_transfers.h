// The server's host<->device copies, one transfer scheduler per direction (src/pcie: CFS over the link,
// weighted by each tenant's pcie_nice). A request's inputs go host->device through it before the model runs
// and its outputs come back device->host after, so the PCIe metrics show what each tenant moved and waited.
//
// On the CPU backend "device memory" is host memory and the copy engine is a memcpy thread: the copies are
// real, the link is not, but every request follows the path it will take on the GPU.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "pcie/clock.h"
#include "pcie/host_memcpy_engine.h"
#include "pcie/transfer_scheduler.h"

namespace missile::server {

struct CopySpan {
  const void* src = nullptr;
  void* dst = nullptr;
  uint64_t bytes = 0;
};

class DeviceTransfers {
 public:
  static Result<std::unique_ptr<DeviceTransfers>> CreateHostMemcpy(const pcie::TransferConfig& config = {});
  ~DeviceTransfers();

  // Registers the tenant with both directions' schedulers.
  Status AddTenant(pcie::TenantId tenant, const pcie::TenantParams& params);

  // Submits every span as one transfer of the tenant and blocks until all have landed; the first error, if
  // any, after all have finished (none is left running against the caller's buffers).
  Status Copy(pcie::Direction direction, pcie::TenantId tenant, std::span<const CopySpan> spans);

  // Counts bytes a device copied on its own stream, outside the link scheduler (the CUDA executable stages
  // and copies its inputs and outputs itself): they show in the tenant's bytes and transfers, with no wait,
  // since no scheduler held them.
  void CountCopiedOnDevice(pcie::Direction direction, pcie::TenantId tenant, uint64_t bytes);

  // The schedulers' statistics with the device's own copies added.
  std::vector<pcie::TenantTransferStats> Metrics(pcie::Direction direction) const;

 private:
  DeviceTransfers() = default;
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
  // Engines outlive the schedulers that issue to them (members are destroyed in reverse order).
  std::unique_ptr<pcie::HostMemcpyEngine> to_device_engine_;
  std::unique_ptr<pcie::HostMemcpyEngine> to_host_engine_;
  std::unique_ptr<pcie::TransferScheduler> to_device_;
  std::unique_ptr<pcie::TransferScheduler> to_host_;
};

}  // namespace missile::server
