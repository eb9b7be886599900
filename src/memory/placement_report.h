// The placement section of the channel probe's report: what each placement granularity could give under
// what the probe measured, the verdict for the CUDA VMM backend, and whether physical placement is possible.
#pragma once

#include <cstdint>
#include <vector>

#include "probe/channel_probe.h"
#include "probe/channel_report.h"

namespace missile::memory {

// From the probe's model when it made one (complete units), otherwise from the classified lines of every
// probed page (partial units: only proofs of "no isolation" are conclusive). `vmm_granularity` is the
// smallest unit the CUDA VMM API maps (2 MiB on the H200).
probe::ReportSection PlacementSection(const probe::ChannelProbeResult& result, uint64_t vmm_granularity,
                                      const std::vector<uint64_t>& granularities = {256, 512, 1024, 4096,
                                                                                    65536});

}  // namespace missile::memory
