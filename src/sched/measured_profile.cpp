#include "sched/measured_profile.h"

#include <algorithm>
#include <cmath>

namespace missile::sched {
namespace {

// Nanosecond resolution, as the synthesized profiles: finer than any event timing.
double RoundTo(double value, double step) {
  return std::round(value / step) * step;
}

}  // namespace

Result<double> MedianOf(std::vector<double> samples) {
  if (samples.empty()) return Error(ErrorCode::kInvalidArgument, "no samples to take the median of");
  for (double s : samples) {
    if (!(s > 0) || !std::isfinite(s)) {
      return Error(ErrorCode::kInvalidArgument, "a timing sample must be a positive number, got {}", s);
    }
  }
  std::sort(samples.begin(), samples.end());
  const size_t mid = samples.size() / 2;
  return samples.size() % 2 == 1 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

Result<KernelProfile> MeasuredKernel(KernelProfile kernel, const std::vector<std::vector<double>>& samples_us,
                                     const GpuLayout& layout, const ContentionModel& dram) {
  if (static_cast<int>(samples_us.size()) != layout.groups()) {
    return Error(ErrorCode::kInvalidArgument, "kernel '{}': timings for {} partition sizes, expected {}",
                 kernel.name, samples_us.size(), layout.groups());
  }
  kernel.duration_us.clear();
  for (size_t g = 0; g < samples_us.size(); ++g) {
    Result<double> median = MedianOf(samples_us[g]);
    if (!median.ok()) {
      return median.status().WithContext(fmt::format("kernel '{}' on {} groups", kernel.name, g + 1));
    }
    kernel.duration_us.push_back(RoundTo(*median, 1e-3));
  }
  const double full_us = kernel.duration_us.back();
  const double occupied = std::min(layout.sms, kernel.UsefulSms(layout));
  const double achieved_gbps = kernel.bytes / (full_us * 1e3);  // bytes per us / 1e3 = GB/s
  const double streaming_gbps = dram.StreamingBandwidth(occupied);
  kernel.memory_intensity =
      streaming_gbps > 0 ? RoundTo(std::clamp(achieved_gbps / streaming_gbps, 0.0, 1.0), 1e-4) : 0.0;
  kernel.memory_bound = kernel.memory_intensity >= kMemoryBoundIntensity;
  return kernel;
}

Result<ModelProfile> MeasuredProfile(const ModelProfile& base,
                                     const std::vector<std::vector<std::vector<double>>>& samples_us,
                                     const std::string& device, std::vector<std::string> notes,
                                     const ContentionModel& dram) {
  if (samples_us.size() != base.kernels.size()) {
    return Error(ErrorCode::kInvalidArgument, "profile of '{}': timings for {} kernels, the plan has {}",
                 base.model, samples_us.size(), base.kernels.size());
  }
  ModelProfile profile = base;
  profile.source = kMeasuredSource;
  profile.device = device;
  profile.notes = std::move(notes);
  for (size_t k = 0; k < base.kernels.size(); ++k) {
    MISSILE_ASSIGN_OR_RETURN(profile.kernels[k],
                             MeasuredKernel(base.kernels[k], samples_us[k], base.layout, dram));
  }
  MISSILE_RETURN_IF_ERROR(profile.Validate());
  return profile;
}

}  // namespace missile::sched
