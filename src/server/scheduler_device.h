// What the scheduled executor needs from a device besides the compute scheduler's KernelLauncher: a request's
// data put where its first kernel reads it before the request is submitted, and its outputs taken back after
// its last kernel. One implementation per backend; MakeSchedulerDevice picks the one for the server's
// backend.
//
// The CUDA backend's device is server/cuda/cuda_scheduler_device.h (sched/cuda's launcher on green-context
// partitions), used when the configuration asks for it (server.gpu_scheduler: it has not run on the GPU
// machine yet); otherwise MakeSchedulerDevice is kUnavailable for "cuda" and the server runs the CUDA backend
// on per-tenant workers (executor_factory.h says so).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pcie/transfer_types.h"
#include "sched/kernel_launcher.h"
#include "sched/sm_layout.h"
#include "server/device_transfers.h"
#include "server/infer_codec.h"
#include "server/served_model.h"

namespace missile::server {

class SchedulerDevice {
 public:
  virtual ~SchedulerDevice() = default;
  // For the server's start-up line: "the CPU device (SM partitions emulated)".
  virtual std::string Describe() const = 0;
  // The GPU whose SMs the policies divide (on the CPU device: the one it emulates).
  virtual sched::GpuLayout layout() const = 0;
  virtual sched::KernelLauncher& launcher() = 0;
  // Steps per launch for a tenant of this class (sched::TenantConfig::segment_steps): 1, kernel by kernel,
  // unless the device runs longer segments well.
  virtual size_t SegmentSteps(sched::TenantClass) const { return 1; }

  // Before `request` of `tenant` is submitted: its inputs (validated against `model`) moved to the device,
  // through `transfers` as `link_tenant` where the device's copies cross the link scheduler (the device may
  // move the input tensors out of `inputs`). `seconds` receives the time the copies took here.
  virtual Status BindRequest(sched::TenantId tenant, sched::RequestId request, const ServedModel& model,
                             InferRequest& inputs, DeviceTransfers& transfers, pcie::TenantId link_tenant,
                             double* seconds) = 0;
  // After the request's last kernel completed: its wanted outputs, back on the host.
  virtual Result<std::vector<NamedTensor>> TakeOutputs(sched::TenantId tenant, sched::RequestId request,
                                                       const ServedModel& model, const InferRequest& inputs,
                                                       DeviceTransfers& transfers, pcie::TenantId link_tenant,
                                                       double* seconds) = 0;
  // Drops what BindRequest stored for a request that could not be submitted or that failed.
  virtual void Forget(sched::TenantId tenant, sched::RequestId request) = 0;
};

// The device for the configuration's resolved backend ("cpu" or "cuda"); kUnavailable, with the reason, where
// this build has none or the configuration leaves it off (server.gpu_scheduler).
Result<std::unique_ptr<SchedulerDevice>> MakeSchedulerDevice(const ServerConfig& config);

}  // namespace missile::server
