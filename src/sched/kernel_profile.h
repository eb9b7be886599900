// What the scheduler knows about each kernel of a model: how long it takes on every partition size and how
// hard it leans on DRAM. Measured on the GPU (per kernel, per SM-group count) or synthesized from the plan's
// shapes and a roofline (profile_synthesizer.h) until measurements exist; stored as JSON with the model.
//
// A profile's kernels are the model's execution-plan steps in order, one for one: step i of a request runs
// kernel i.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sched/sm_layout.h"

namespace missile::sched {

struct KernelProfile {
  std::string name;  // the plan node's name
  std::string op;    // operator, with its fused epilogue: "Conv+Relu"
  double flops = 0;  // arithmetic work (multiply-add = 2)
  double bytes = 0;  // DRAM bytes read and written
  // Thread blocks in the grid: a kernel never runs on more SMs than it has blocks. 0 when unknown (assumed to
  // fill any partition).
  int64_t blocks = 0;
  // duration_us[g - 1]: microseconds alone on a partition of g SM groups, g = 1 .. layout.groups().
  std::vector<double> duration_us;
  // Achieved DRAM bandwidth on the whole GPU over what a streaming kernel reaches on the SMs this kernel
  // occupies: 0 (no DRAM traffic) .. 1 (as bandwidth-hungry as a pure stream). Graded, for the contention
  // model.
  double memory_intensity = 0;
  // DRAM bandwidth, not arithmetic, limits it on the whole GPU (the roofline's side, or measured).
  bool memory_bound = false;

  // SMs the kernel can use at once: its block count, capped by the GPU.
  int UsefulSms(const GpuLayout& layout) const;
  // Microseconds alone on `sms` SMs (not necessarily a whole number of groups): the rate (1/duration) is
  // interpolated linearly between the measured partition sizes and falls in proportion below the first.
  // Infinite for 0 SMs.
  double DurationUs(const GpuLayout& layout, double sms) const;
  // Microseconds one block takes on `sms` SMs: the duration over the number of waves. It bounds how long a
  // kernel of higher priority waits for this one's blocks to leave an SM.
  double BlockTimeUs(const GpuLayout& layout, double sms) const;
  // Achieved DRAM bandwidth alone on the whole GPU, GB/s.
  double AchievedBandwidthGbps(const GpuLayout& layout) const;
};

struct ModelProfile {
  std::string model;      // "resnet50"
  int batch = 1;          // images (or sequences) per request
  std::string precision;  // "fp16", "fp32"
  // Where the numbers come from: "synthesized-roofline" or "measured" (with the device and date in `notes`).
  std::string source;
  std::string device;  // "NVIDIA H200"
  GpuLayout layout;
  double input_bytes = 0;          // host-to-device bytes per request
  double output_bytes = 0;         // device-to-host bytes per request
  std::vector<std::string> notes;  // assumptions, commands, dates
  std::vector<KernelProfile> kernels;

  // Sum of the kernels' durations alone on `groups` groups: the request's GPU time with nothing beside it.
  double TotalDurationUs(int groups) const;
  Status Validate() const;
};

// The profile on another split of the same SMs (e.g. measured or synthesized for 16 x 8 + 4, run where the
// driver splits 15 x 8 + 12): every kernel's duration at each partition size of `layout`, interpolated from
// this profile's (KernelProfile::DurationUs). The SM counts must agree.
Result<ModelProfile> ResampleProfile(const ModelProfile& profile, const GpuLayout& layout);

Result<ModelProfile> ParseModelProfile(std::string_view json_text);
std::string SerializeModelProfile(const ModelProfile& profile);  // pretty-printed JSON
Result<ModelProfile> LoadModelProfile(const std::string& path);
Status SaveModelProfile(const ModelProfile& profile, const std::string& path);

}  // namespace missile::sched
