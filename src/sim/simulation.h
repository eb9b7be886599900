// The discrete-event simulator: tenants with open-loop (Poisson) or closed-loop load, driven through the real
// compute scheduler and policy against a modelled GPU (modelled_gpu.h) and modelled copy engines behind the
// real PCIe transfer schedulers (src/pcie), all on one virtual clock. A request's latency runs from its
// arrival to its outputs landing on the host: inputs host-to-device, the model's kernels, outputs
// device-to-host. Deterministic: the same configuration and seed give the same numbers, on any machine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "pcie/modelled_copy_engine.h"
#include "pcie/transfer_config.h"
#include "sched/kernel_profile.h"
#include "sched/policy.h"
#include "sched/tenant.h"
#include "sim/latency_summary.h"
#include "sim/modelled_gpu.h"

namespace missile::sim {

enum class LoadKind { kPoisson, kClosedLoop };

struct SimTenant {
  sched::TenantConfig config;
  std::shared_ptr<const sched::ModelProfile> model;
  LoadKind load = LoadKind::kClosedLoop;
  double rate = 0;      // kPoisson: requests per second
  int outstanding = 1;  // kClosedLoop: requests kept in flight
};

struct SimConfig {
  std::string policy = "missile";
  sched::PolicyOptions policy_options;
  std::vector<SimTenant> tenants;
  Nanos duration = std::chrono::seconds(30);
  // Requests arriving before this are not counted, nor work completed before it (the GPU starts empty).
  Nanos warmup = std::chrono::milliseconds(500);
  uint64_t seed = 1;
  ModelledGpuOptions gpu;
  // Inputs and outputs cross the modelled PCIe link through the transfer scheduler; off: requests start at
  // the kernels.
  bool model_copies = true;
  pcie::CopyEngineModel host_to_device = pcie::CopyEngineModel::H200HostToDevice();
  pcie::CopyEngineModel device_to_host = pcie::CopyEngineModel::H200DeviceToHost();
  pcie::TransferConfig transfers;

  Status Validate() const;
};

struct TenantOutcome {
  std::string name;
  sched::TenantClass cls = sched::TenantClass::kBestEffort;
  int batch = 1;
  LatencySummary latency;     // requests that arrived in [warmup, duration)
  double requests_per_s = 0;  // requests completed in [warmup, duration], per second of that window
  double items_per_s = 0;     // requests_per_s x batch
};

struct SimOutcome {
  std::string policy;
  std::vector<TenantOutcome> tenants;  // in the configuration's order
  ModelledGpuStats gpu;
  uint64_t invalid_decisions = 0;
};

Result<SimOutcome> Simulate(const SimConfig& config);

}  // namespace missile::sim
