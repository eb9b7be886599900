// The CPU backend's scheduler device: sched::CpuPartitionLauncher (one stream thread per tenant, one kernel
// computing at a time by stream priority, SM partitions emulated by stretching a kernel's completion; see
// sched/cpu_partition_launcher.h), with each request's inputs and outputs crossing the PCIe transfer
// scheduler as memcpys into and out of host buffers standing in for device memory.
#pragma once

#include "sched/cpu_partition_launcher.h"
#include "server/scheduler_device.h"

namespace missile::server {

class CpuSchedulerDevice final : public SchedulerDevice {
 public:
  explicit CpuSchedulerDevice(const sched::GpuLayout& layout = sched::GpuLayout::H200())
      : layout_(layout), launcher_(layout) {}

  std::string Describe() const override;
  sched::GpuLayout layout() const override { return layout_; }
  sched::KernelLauncher& launcher() override { return launcher_; }
  Status BindRequest(sched::TenantId tenant, sched::RequestId request, const ServedModel& model,
                     InferRequest& inputs, DeviceTransfers& transfers, pcie::TenantId link_tenant,
                     double* seconds) override;
  Result<std::vector<NamedTensor>> TakeOutputs(sched::TenantId tenant, sched::RequestId request,
                                               const ServedModel& model, const InferRequest& inputs,
                                               DeviceTransfers& transfers, pcie::TenantId link_tenant,
                                               double* seconds) override;
  void Forget(sched::TenantId tenant, sched::RequestId request) override;

  // (tenant, step) in the order kernels got the CPU: what tests check a policy's ordering against.
  std::vector<std::pair<sched::TenantId, size_t>> ComputeOrder() const { return launcher_.ComputeOrder(); }

 private:
  const sched::GpuLayout layout_;
  sched::CpuPartitionLauncher launcher_;
};

}  // namespace missile::server
