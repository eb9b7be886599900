// `missile probe channels` on the GPU: the bandwidth sweep, then pages mapped through the CUDA VMM API (each
// its own physical allocation), the atomic oracle calibrated on the first, the load timer, and the probe
// plan of probe/channel_probe.h — all within one time budget.
#pragma once

#include "probe/channel_probe.h"
#include "probe/channel_report.h"
#include "probe/cuda/bandwidth_sweep.h"
#include "probe/cuda/gpu_oracle.h"

namespace missile::probe::cuda {

struct GpuChannelProbeOptions {
  int device = 0;
  int pages = 4;          // the reference page and pages - 1 others
  int page_spacing = 16;  // pages mapped per probed page: the probed ones are this far apart in allocation
                          // order, so that they are less likely to be physical neighbours
  bool sweep = true;
  BandwidthSweepOptions sweep_options;
  GpuOracleOptions oracle;
  double read_target_us = 40;  // a spread set read in the validation
  ChannelProbeOptions probe;   // probe.time_budget_s bounds the whole run, sweep and calibration included
};

// Fails only when nothing could be measured (no GPU, no memory); the report says what failed after that.
Result<ChannelProbeReport> RunGpuChannelProbe(const GpuChannelProbeOptions& options);

}  // namespace missile::probe::cuda
