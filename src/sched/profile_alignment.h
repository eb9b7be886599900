// A kernel profile matched to the steps of a compiled plan. Profiles are made from one plan (the CPU plan
// for synthesized ones); a backend's plan can hold steps the profile lacks (the fp16 lowering's input and
// output Casts on the GPU) or the profile can belong to another model. The scheduler needs one profile
// kernel per step, so the steps are matched by node name, in order: a step the profile lacks gets a
// placeholder kernel (named, and reported), a profile kernel no step matches is an error.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sched/kernel_profile.h"

namespace missile::sched {

struct AlignedProfile {
  ModelProfile profile;                   // one kernel per step, in step order
  std::vector<std::string> placeholders;  // the steps the profile lacked
};

// `step_names`: the plan's steps' node names in order. A placeholder takes `placeholder_us` on every
// partition size, draws no DRAM bandwidth and fills any partition (blocks 0).
Result<AlignedProfile> AlignProfileToSteps(const ModelProfile& profile,
                                           const std::vector<std::string>& step_names,
                                           double placeholder_us = 2.5);

}  // namespace missile::sched
