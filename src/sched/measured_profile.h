// Kernel profiles from timings on the GPU: the arithmetic, apart from the timing mechanism
// (sched/cuda/step_timer.h) so it is tested without a GPU.
//
// Per kernel: duration_us[g - 1] is the median of its repetitions alone on g groups. Work (FLOPs, DRAM bytes)
// and block counts are the synthesizer's (profile_synthesizer.h) for the same plan: no counters are read on
// the GPU, so bytes are the shape-based estimate (every input read and output written once, no L2 reuse)
// and blocks the roofline's estimate of the launch (cuDNN and cuBLASLt choose their grids internally).
// memory_intensity is the achieved DRAM bandwidth on the whole GPU (bytes over the measured duration) over
// what a streaming kernel reaches on the SMs the kernel occupies (contention.h); memory_bound is an
// intensity of at least kMemoryBoundIntensity.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sched/contention.h"
#include "sched/kernel_profile.h"

namespace missile::sched {

inline constexpr const char* kMeasuredSource = "measured";
// A kernel reaching half the streaming bandwidth of its SMs is limited by DRAM rather than arithmetic.
inline constexpr double kMemoryBoundIntensity = 0.5;

// The median of `samples` (the mean of the middle two for an even count); kInvalidArgument when empty or
// when a sample is not a positive finite number.
Result<double> MedianOf(std::vector<double> samples);

// `kernel` with its durations set from `samples_us[g - 1]` (repetitions on g groups, g = 1 .. groups) and
// its memory intensity and bound recomputed from them. `kernel.bytes` and `kernel.blocks` are kept.
Result<KernelProfile> MeasuredKernel(KernelProfile kernel, const std::vector<std::vector<double>>& samples_us,
                                     const GpuLayout& layout, const ContentionModel& dram);

// The measured profile of a model: `base` is the synthesized profile of the same execution plan (one kernel
// per step, in order), `samples_us[k][g - 1]` the repetitions of kernel k on g groups. Source "measured",
// `device` and `notes` as given.
Result<ModelProfile> MeasuredProfile(const ModelProfile& base,
                                     const std::vector<std::vector<std::vector<double>>>& samples_us,
                                     const std::string& device, std::vector<std::string> notes,
                                     const ContentionModel& dram = ContentionModel::H200());

}  // namespace missile::sched
