#include <chrono>

#include "device/cuda/cuda_status.h"
#include "device/cuda/vmm.h"
#include "probe/cuda/gpu_channel_probe.h"
#include "probe/cuda/gpu_read_timer.h"

namespace missile::probe::cuda {
namespace {

using Clock = std::chrono::steady_clock;

Result<ProbedDevice> DescribeDevice(int device) {
  cudaDeviceProp prop{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, device));
  int driver = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDriverGetVersion(&driver));
  ProbedDevice d;
  d.name = prop.name;
  d.sm_count = prop.multiProcessorCount;
  d.memory_bytes = prop.totalGlobalMem;
  d.l2_bytes = static_cast<uint64_t>(prop.l2CacheSize);
  d.persisting_l2_max_bytes = static_cast<uint64_t>(prop.persistingL2CacheMaxSize);
  d.driver_version = driver;
  MISSILE_ASSIGN_OR_RETURN(d.vmm_granularity, device::cuda::VmmGranularity(device));
  return d;
}

void Log(const ChannelProbeOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

}  // namespace

Result<ChannelProbeReport> RunGpuChannelProbe(const GpuChannelProbeOptions& options) {
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  if (options.pages < 1 || options.page_spacing < 1) {
    return Error(ErrorCode::kInvalidArgument, "{} pages at spacing {}: both must be at least 1",
                 options.pages, options.page_spacing);
  }
  ChannelProbeReport report;
  MISSILE_ASSIGN_OR_RETURN(report.device, DescribeDevice(options.device));
  const uint64_t page_bytes = report.device.vmm_granularity;

  if (options.sweep) {
    Log(options.probe, "bandwidth sweep");
    BandwidthSweepOptions sweep = options.sweep_options;
    sweep.device = options.device;
    Result<BandwidthSweep> swept = RunBandwidthSweep(sweep);
    if (swept.ok()) {
      report.sweep = std::move(swept).value();
    } else {
      report.sweep_error = swept.status().message();
    }
  }

  Log(options.probe, "mapping pages");
  const int64_t mapped = 1 + int64_t{options.pages - 1} * options.page_spacing;
  MISSILE_ASSIGN_OR_RETURN(device::cuda::VmmPages vmm, device::cuda::VmmPages::Map(options.device, mapped));
  // Fresh memory holds garbage; the oracle only adds to it and the timer only reads it, so any content does.
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemset(reinterpret_cast<void*>(vmm.base()), 0, vmm.page_bytes() * mapped));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  std::vector<Address> pages;
  for (int p = 0; p < options.pages; ++p) pages.push_back(vmm.page(int64_t{p} * options.page_spacing));

  MISSILE_ASSIGN_OR_RETURN(std::unique_ptr<LineHammer> hammer, LineHammer::Create(options.device));
  Log(options.probe, "calibrating the atomic oracle");
  Result<std::unique_ptr<GpuAtomicOracle>> oracle = GpuAtomicOracle::Create(
      *hammer, pages.front(), page_bytes, options.probe.granule_bytes, options.oracle);
  if (!oracle.ok()) {
    report.calibration_error = oracle.status().message();
    report.seconds = elapsed();
    return report;
  }
  report.calibration = (*oracle)->calibration();

  // The read timer calibrates on random lines of the reference page: a set spread over many classes.
  // (An odd multiplier permutes the page's granules, so the 64 lines are distinct.)
  const uint64_t granule = options.probe.granule_bytes;
  std::vector<Address> spread;
  for (uint64_t g = 0; g < 64; ++g)
    spread.push_back(pages.front() + (g * 2654435761u % (page_bytes / granule)) * granule);
  Result<std::unique_ptr<GpuLineReadTimer>> reader =
      GpuLineReadTimer::Create(*hammer, spread, options.read_target_us);
  if (!reader.ok()) {
    report.probe_error = "calibrating the read timer: " + reader.status().message();
    report.seconds = elapsed();
    return report;
  }

  ChannelProbeOptions probe = options.probe;
  probe.page_bytes = page_bytes;
  if (probe.time_budget_s > 0) probe.time_budget_s = std::max(1.0, probe.time_budget_s - elapsed());
  const OracleCalibration& c = (*oracle)->calibration();
  probe.seconds_per_query = c.calibration_measurements > 0 ? c.seconds / c.calibration_measurements : 0;
  GpuAtomicOracle* atomic = oracle->get();
  probe.oracle_status = [atomic] { return atomic->status(); };
  Result<ChannelProbeResult> result = RunChannelProbe(*atomic, **reader, pages, probe);
  if (result.ok()) {
    report.probe = std::move(result).value();
  } else {
    report.probe_error = result.status().message();
  }
  report.calibration = atomic->calibration();  // now with the queries and drift of the probe
  report.seconds = elapsed();
  return report;
}

}  // namespace missile::probe::cuda
