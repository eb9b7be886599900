#include "sched/kernel_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/file_io.h"

namespace missile::sched {
namespace {

constexpr const char* kFormat = "missile-kernel-profile/1";

// Kernel rate (1/us) on `sms` SMs, interpolated between the partition sizes measured. A kernel runs on at
// most `useful` SMs (its blocks), so every partition at least that large measured the same plateau: the rate
// reaches it at `useful` SMs, not at the next partition size.
double RateAt(const KernelProfile& kernel, const GpuLayout& layout, double sms) {
  const int useful = kernel.UsefulSms(layout);
  const double effective = std::min(sms, static_cast<double>(useful));
  if (effective <= 0) return 0;
  const int columns = static_cast<int>(kernel.duration_us.size());
  const double first_sms = std::min(layout.SmsInFirst(1), useful);
  if (effective <= first_sms || columns == 1) {
    return std::min(effective, first_sms) / first_sms / kernel.duration_us[0];
  }
  // The partition sizes around `effective`: groups g - 1 and g, SmsInFirst(g - 1) < effective <= ...(g).
  const int g = std::clamp(static_cast<int>(std::ceil(effective / layout.sms_per_group)), 2, columns);
  const double lo = layout.SmsInFirst(g - 1);
  const double hi = std::min(layout.SmsInFirst(g), useful);
  const double lo_rate = 1.0 / kernel.duration_us[static_cast<size_t>(g - 2)];
  const double hi_rate = 1.0 / kernel.duration_us[static_cast<size_t>(g - 1)];
  if (effective >= hi) return hi_rate;
  return lo_rate + (hi_rate - lo_rate) * (effective - lo) / (hi - lo);
}

nlohmann::ordered_json KernelToJson(const KernelProfile& k) {
  return {{"name", k.name},
          {"op", k.op},
          {"flops", k.flops},
          {"bytes", k.bytes},
          {"blocks", k.blocks},
          {"memory_intensity", k.memory_intensity},
          {"memory_bound", k.memory_bound},
          {"duration_us", k.duration_us}};
}

template <typename T>
Status Read(const nlohmann::json& json, const char* key, T* out, const std::string& where) {
  if (!json.contains(key)) return Error(ErrorCode::kInvalidArgument, "{}: missing '{}'", where, key);
  try {
    *out = json.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorCode::kInvalidArgument, "{}: '{}' has the wrong type ({})", where, key, e.what());
  }
  return Status::Ok();
}

Result<KernelProfile> KernelFromJson(const nlohmann::json& json, size_t index) {
  const std::string where = fmt::format("kernel {}", index);
  if (!json.is_object()) return Error(ErrorCode::kInvalidArgument, "{}: not an object", where);
  KernelProfile k;
  MISSILE_RETURN_IF_ERROR(Read(json, "name", &k.name, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "op", &k.op, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "flops", &k.flops, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "bytes", &k.bytes, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "blocks", &k.blocks, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "memory_intensity", &k.memory_intensity, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "memory_bound", &k.memory_bound, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "duration_us", &k.duration_us, where));
  return k;
}

}  // namespace

int KernelProfile::UsefulSms(const GpuLayout& layout) const {
  if (blocks <= 0) return layout.sms;
  return static_cast<int>(std::min<int64_t>(blocks, layout.sms));
}

double KernelProfile::DurationUs(const GpuLayout& layout, double sms) const {
  const double rate = RateAt(*this, layout, sms);
  return rate > 0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

double KernelProfile::BlockTimeUs(const GpuLayout& layout, double sms) const {
  const double duration = DurationUs(layout, sms);
  const double used = std::min(sms, static_cast<double>(UsefulSms(layout)));
  if (blocks <= 0 || used <= 0) return duration;
  const double waves = std::ceil(static_cast<double>(blocks) / used);
  return duration / waves;
}

double KernelProfile::AchievedBandwidthGbps(const GpuLayout& layout) const {
  const double us = duration_us.empty() ? 0 : DurationUs(layout, layout.sms);
  return us > 0 ? bytes / (us * 1e3) : 0;  // bytes per ns = GB/s
}

double ModelProfile::TotalDurationUs(int groups) const {
  double total = 0;
  for (const KernelProfile& k : kernels) total += k.DurationUs(layout, layout.SmsInFirst(groups));
  return total;
}

Status ModelProfile::Validate() const {
  if (!layout.valid()) return Error(ErrorCode::kInvalidArgument, "profile of '{}': invalid SM layout", model);
  if (batch < 1) return Error(ErrorCode::kInvalidArgument, "profile of '{}': batch must be >= 1", model);
  if (kernels.empty()) return Error(ErrorCode::kInvalidArgument, "profile of '{}' has no kernels", model);
  const size_t columns = static_cast<size_t>(layout.groups());
  for (size_t i = 0; i < kernels.size(); ++i) {
    const KernelProfile& k = kernels[i];
    if (k.duration_us.size() != columns) {
      return Error(ErrorCode::kInvalidArgument,
                   "profile of '{}', kernel {} ('{}'): {} durations, expected one per group count 1..{}",
                   model, i, k.name, k.duration_us.size(), columns);
    }
    for (double d : k.duration_us) {
      if (!(d > 0) || !std::isfinite(d)) {
        return Error(ErrorCode::kInvalidArgument, "profile of '{}', kernel {} ('{}'): durations must be > 0",
                     model, i, k.name);
      }
    }
    if (!(k.memory_intensity >= 0 && k.memory_intensity <= 1)) {
      return Error(ErrorCode::kInvalidArgument,
                   "profile of '{}', kernel {} ('{}'): memory_intensity must be in [0, 1], got {}", model, i,
                   k.name, k.memory_intensity);
    }
    if (k.flops < 0 || k.bytes < 0 || k.blocks < 0) {
      return Error(ErrorCode::kInvalidArgument, "profile of '{}', kernel {} ('{}'): negative work", model, i,
                   k.name);
    }
  }
  return Status::Ok();
}

std::string SerializeModelProfile(const ModelProfile& profile) {
  nlohmann::ordered_json partition_sms = nlohmann::ordered_json::array();
  for (int g = 1; g <= profile.layout.groups(); ++g) partition_sms.push_back(profile.layout.SmsInFirst(g));
  const nlohmann::ordered_json header = {
      {"format", kFormat},
      {"model", profile.model},
      {"batch", profile.batch},
      {"precision", profile.precision},
      {"source", profile.source},
      {"device", profile.device},
      {"sms", profile.layout.sms},
      {"sms_per_group", profile.layout.sms_per_group},
      {"groups", profile.layout.groups()},
      {"partition_sms", partition_sms},
      {"input_bytes", profile.input_bytes},
      {"output_bytes", profile.output_bytes},
      {"notes", profile.notes},
  };
  // The header indented, then one kernel per line: a diff of two profiles then shows which kernels changed.
  std::string text = header.dump(1);
  text.resize(text.size() - 2);  // "\n}"
  text += ",\n \"kernels\": [\n";
  for (size_t i = 0; i < profile.kernels.size(); ++i) {
    text += "  " + KernelToJson(profile.kernels[i]).dump() + (i + 1 < profile.kernels.size() ? ",\n" : "\n");
  }
  text += " ]\n}\n";
  return text;
}

Result<ModelProfile> ResampleProfile(const ModelProfile& profile, const GpuLayout& layout) {
  if (!layout.valid() || layout.sms != profile.layout.sms) {
    return Error(ErrorCode::kInvalidArgument, "profile of '{}' is for {}, cannot resample it to {}",
                 profile.model, profile.layout.ToString(), layout.ToString());
  }
  if (layout == profile.layout) return profile;
  ModelProfile resampled = profile;
  resampled.layout = layout;
  for (size_t i = 0; i < profile.kernels.size(); ++i) {
    std::vector<double>& durations = resampled.kernels[i].duration_us;
    durations.clear();
    for (int g = 1; g <= layout.groups(); ++g) {
      durations.push_back(profile.kernels[i].DurationUs(profile.layout, layout.SmsInFirst(g)));
    }
  }
  resampled.notes.push_back(
      fmt::format("resampled from {} to {}", profile.layout.ToString(), layout.ToString()));
  return resampled;
}

Result<ModelProfile> ParseModelProfile(std::string_view json_text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    // Not e.what(): it quotes the offending bytes, which need not be text.
    return Error(ErrorCode::kInvalidArgument, "kernel profile is not valid JSON (syntax error at byte {})",
                 e.byte);
  }
  if (!json.is_object()) return Error(ErrorCode::kInvalidArgument, "kernel profile must be a JSON object");
  ModelProfile profile;
  const std::string where = "kernel profile";
  std::string format;
  MISSILE_RETURN_IF_ERROR(Read(json, "format", &format, where));
  if (format != kFormat) {
    return Error(ErrorCode::kInvalidArgument, "kernel profile format '{}' is not '{}'", format, kFormat);
  }
  MISSILE_RETURN_IF_ERROR(Read(json, "model", &profile.model, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "batch", &profile.batch, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "precision", &profile.precision, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "source", &profile.source, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "device", &profile.device, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "sms", &profile.layout.sms, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "sms_per_group", &profile.layout.sms_per_group, where));
  // Profiles from before layouts had a group count have ceil(sms / sms_per_group) groups.
  if (json.contains("groups"))
    MISSILE_RETURN_IF_ERROR(Read(json, "groups", &profile.layout.group_count, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "input_bytes", &profile.input_bytes, where));
  MISSILE_RETURN_IF_ERROR(Read(json, "output_bytes", &profile.output_bytes, where));
  if (json.contains("notes")) MISSILE_RETURN_IF_ERROR(Read(json, "notes", &profile.notes, where));
  if (!json.contains("kernels") || !json["kernels"].is_array()) {
    return Error(ErrorCode::kInvalidArgument, "kernel profile: 'kernels' must be an array");
  }
  for (size_t i = 0; i < json["kernels"].size(); ++i) {
    MISSILE_ASSIGN_OR_RETURN(KernelProfile kernel, KernelFromJson(json["kernels"][i], i));
    profile.kernels.push_back(std::move(kernel));
  }
  MISSILE_RETURN_IF_ERROR(profile.Validate());
  return profile;
}

Result<ModelProfile> LoadModelProfile(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path, "kernel profile"));
  Result<ModelProfile> profile = ParseModelProfile(text);
  if (!profile.ok()) return profile.status().WithContext(path);
  return profile;
}

Status SaveModelProfile(const ModelProfile& profile, const std::string& path) {
  MISSILE_RETURN_IF_ERROR(profile.Validate());
  std::ofstream out(path);
  if (!out) return Error(ErrorCode::kNotFound, "cannot write kernel profile '{}'", path);
  out << SerializeModelProfile(profile);
  if (!out) return Error(ErrorCode::kInternal, "writing kernel profile '{}' failed", path);
  return Status::Ok();
}

}  // namespace missile::sched
