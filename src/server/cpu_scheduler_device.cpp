#include "server/cpu_scheduler_device.h"

#include <chrono>

#include "runtime/cpu_executable.h"

namespace missile::server {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string CpuSchedulerDevice::Describe() const {
  return fmt::format(
      "the CPU device ({} SMs in groups of {} emulated: one kernel computes at a time, a "
      "partition stretches its kernels' completion)",
      layout_.sms, layout_.sms_per_group);
}

Status CpuSchedulerDevice::BindRequest(sched::TenantId tenant, sched::RequestId request,
                                       const ServedModel& model, InferRequest& inputs,
                                       DeviceTransfers& transfers, pcie::TenantId link_tenant,
                                       double* seconds) {
  auto* executable = dynamic_cast<runtime::CpuExecutable*>(&model.executable());
  if (executable == nullptr) {
    return Error(ErrorCode::kInternal, "model '{}' was not compiled for the CPU backend", model.name());
  }
  const auto start = std::chrono::steady_clock::now();
  MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> device,
                           model.CopyInputsToDevice(inputs, transfers, link_tenant));
  if (seconds != nullptr) *seconds = SecondsSince(start);
  return launcher_.SetRequest(tenant, request, *executable, std::move(device));
}

Result<std::vector<NamedTensor>> CpuSchedulerDevice::TakeOutputs(
    sched::TenantId tenant, sched::RequestId request, const ServedModel& model, const InferRequest& inputs,
    DeviceTransfers& transfers, pcie::TenantId link_tenant, double* seconds) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<Tensor> device, launcher_.TakeOutputs(tenant, request));
  const auto start = std::chrono::steady_clock::now();
  auto outputs = model.CopyOutputsToHost(inputs, device, transfers, link_tenant);
  if (seconds != nullptr) *seconds = SecondsSince(start);
  return outputs;
}

void CpuSchedulerDevice::Forget(sched::TenantId tenant, sched::RequestId request) {
  launcher_.DropRequest(tenant, request);
}

}  // namespace missile::server
