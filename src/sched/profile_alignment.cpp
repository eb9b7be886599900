#include "sched/profile_alignment.h"

namespace missile::sched {

Result<AlignedProfile> AlignProfileToSteps(const ModelProfile& profile,
                                           const std::vector<std::string>& step_names,
                                           double placeholder_us) {
  if (!(placeholder_us > 0)) {
    return Error(ErrorCode::kInvalidArgument, "a placeholder kernel must take > 0 us, got {}",
                 placeholder_us);
  }
  AlignedProfile aligned;
  aligned.profile = profile;
  aligned.profile.kernels.clear();
  size_t next = 0;  // the first profile kernel not matched yet
  for (const std::string& name : step_names) {
    if (next < profile.kernels.size() && profile.kernels[next].name == name) {
      aligned.profile.kernels.push_back(profile.kernels[next++]);
      continue;
    }
    KernelProfile placeholder;
    placeholder.name = name;
    placeholder.op = "unprofiled";
    placeholder.duration_us.assign(static_cast<size_t>(profile.layout.groups()), placeholder_us);
    aligned.profile.kernels.push_back(std::move(placeholder));
    aligned.placeholders.push_back(name);
  }
  if (next < profile.kernels.size()) {
    return Error(
        ErrorCode::kInvalidArgument,
        "profile of '{}' does not fit this plan: its kernel {} '{}' matches no step in order ({} steps, "
        "{} matched)",
        profile.model, next, profile.kernels[next].name, step_names.size(), next);
  }
  MISSILE_RETURN_IF_ERROR(aligned.profile.Validate());
  return aligned;
}

}  // namespace missile::sched
