// The CUDA backend's scheduler device (CUDA builds only): sched::cuda::CudaKernelLauncher on green-context SM
// partitions (or on the whole GPU, saying so, where green contexts cannot be made).
//
// The launcher keeps one model per launcher tenant; a server tenant may serve several models and load or
// unload them while serving. So the device gives every loaded model instance its own launcher tenant (a
// "slot": its own streams and library handles) and translates each launch of a scheduler tenant's request to
// the slot of the request's model, and each completion back. The scheduler still runs one request at a time
// per server tenant, so a tenant's work stays in order across its slots.
//
// Segments: an LS tenant's request is released whole (one launch, replayed as one CUDA graph when the model
// has cuda_graph), a BE tenant's four steps at a time, as the colocation benchmark does (docs/scheduling.md).
//
// Not yet run on the GPU machine: the server uses it only with `server.gpu_scheduler: true`.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "sched/cuda/cuda_kernel_launcher.h"
#include "sched/cuda/partition_streams.h"
#include "server/scheduler_device.h"

namespace missile::server {

class CudaSchedulerDevice final : public SchedulerDevice,
                                  private sched::KernelLauncher,
                                  private sched::KernelListener {
 public:
  // The first GPU's layout (its SMs in groups of 8), green-context partitions where they can be made.
  static Result<std::unique_ptr<CudaSchedulerDevice>> Create();
  ~CudaSchedulerDevice() override;

  std::string Describe() const override;
  sched::GpuLayout layout() const override { return layout_; }
  sched::KernelLauncher& launcher() override { return *this; }
  size_t SegmentSteps(sched::TenantClass cls) const override;
  Status BindRequest(sched::TenantId tenant, sched::RequestId request, const ServedModel& model,
                     InferRequest& inputs, DeviceTransfers& transfers, pcie::TenantId link_tenant,
                     double* seconds) override;
  Result<std::vector<NamedTensor>> TakeOutputs(sched::TenantId tenant, sched::RequestId request,
                                               const ServedModel& model, const InferRequest& inputs,
                                               DeviceTransfers& transfers, pcie::TenantId link_tenant,
                                               double* seconds) override;
  void Forget(sched::TenantId tenant, sched::RequestId request) override;

 private:
  struct Route {
    sched::TenantId tenant = 0;  // the scheduler's
    sched::TenantId slot = 0;    // the launcher's
    sched::KernelListener* listener = nullptr;
  };

  CudaSchedulerDevice(const sched::GpuLayout& layout, std::unique_ptr<sched::cuda::PartitionStreams> streams);
  void Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) override;
  void OnKernelDone(const sched::KernelLaunch& launch, const Status& status) override;
  Result<sched::TenantId> SlotOf(const ServedModel& model);

  const sched::GpuLayout layout_;
  std::unique_ptr<sched::cuda::PartitionStreams> streams_;
  std::unique_ptr<sched::cuda::CudaKernelLauncher> launcher_;  // destroyed before the streams it uses
  std::mutex mutex_;
  std::map<uint64_t, sched::TenantId> slots_;  // by model instance
  std::map<sched::RequestId, Route> routes_;
};

}  // namespace missile::server
