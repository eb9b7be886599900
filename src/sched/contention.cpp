#include "sched/contention.h"

#include <algorithm>
#include <cstdlib>

namespace missile::sched {
namespace {

double ClampIntensity(double intensity) {
  return std::clamp(intensity, 0.0, 1.0);
}

ContentionModel MakeH200() {
  // shared/DEVICE.md: "BE SMs (BE alone GB/s)" column, plus the full-GPU streaming read (~4.49 TB/s).
  auto streaming = PiecewiseLinear::Create(
      {{0, 0}, {8, 647}, {16, 1267}, {32, 2379}, {48, 3317}, {64, 3934}, {132, 4490}});
  // The "LS slowdown" column against the BE's bandwidth; extended along the last segment (see header).
  auto slowdown =
      PiecewiseLinear::Create({{0, 1.0}, {647, 1.04}, {1267, 1.07}, {2379, 1.28}, {3317, 1.48}, {3934, 1.72}},
                              PiecewiseLinear::Beyond::kExtend);
  auto model = ContentionModel::Create(std::move(streaming).value(), std::move(slowdown).value());
  if (!model.ok()) std::abort();  // constant tables: a failure here is a bug
  return std::move(model).value();
}

}  // namespace

Result<ContentionModel> ContentionModel::Create(PiecewiseLinear streaming_gbps_by_sms,
                                                PiecewiseLinear slowdown_by_aggressor_gbps) {
  const auto& bw = streaming_gbps_by_sms.points();
  for (size_t i = 1; i < bw.size(); ++i) {
    if (bw[i].y < bw[i - 1].y) {
      return Error(ErrorCode::kInvalidArgument, "streaming bandwidth must not fall with more SMs");
    }
  }
  if (bw.front().x != 0 || bw.front().y != 0) {
    return Error(ErrorCode::kInvalidArgument, "streaming bandwidth curve must start at (0 SMs, 0 GB/s)");
  }
  const auto& slow = slowdown_by_aggressor_gbps.points();
  if (slow.front().x != 0 || slow.front().y != 1.0) {
    return Error(ErrorCode::kInvalidArgument, "slowdown curve must start at (0 GB/s, 1.0)");
  }
  for (size_t i = 1; i < slow.size(); ++i) {
    if (slow[i].y < slow[i - 1].y) {
      return Error(ErrorCode::kInvalidArgument, "slowdown must not fall as aggressor bandwidth grows");
    }
  }
  return ContentionModel(std::move(streaming_gbps_by_sms), std::move(slowdown_by_aggressor_gbps));
}

const ContentionModel& ContentionModel::H200() {
  static const ContentionModel model = MakeH200();
  return model;
}

double ContentionModel::PulledBandwidth(double sms, double intensity) const {
  return ClampIntensity(intensity) * StreamingBandwidth(sms);
}

double ContentionModel::Slowdown(double victim_intensity, double aggressor_gbps) const {
  if (aggressor_gbps <= 0) return 1.0;
  // Aggressors together cannot pull more than the whole GPU streams.
  const double table = slowdown_(std::min(aggressor_gbps, PeakBandwidth()));
  return 1.0 + ClampIntensity(victim_intensity) * (table - 1.0);
}

double ContentionModel::MaxAggressorBandwidth(double victim_intensity, double max_slowdown) const {
  const double m = ClampIntensity(victim_intensity);
  if (m == 0 || max_slowdown >= slowdown_(PeakBandwidth()) * m + (1 - m)) return PeakBandwidth();
  // 1 + m * (table(x) - 1) <= max_slowdown  <=>  table(x) <= 1 + (max_slowdown - 1) / m.
  const double table_limit = 1.0 + (std::max(max_slowdown, 1.0) - 1.0) / m;
  return std::min(slowdown_.Inverse(table_limit), PeakBandwidth());
}

}  // namespace missile::sched
