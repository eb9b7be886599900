#include "sched/contention.h"

#include <algorithm>
#include <cmath>
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

// Sorted by x from `origin`, x strictly growing (a point that does not grow it is merged into the one before,
// the larger y kept), y the running maximum.
std::vector<PiecewiseLinear::Point> Monotone(std::vector<PiecewiseLinear::Point> points,
                                             PiecewiseLinear::Point origin) {
  std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
  std::vector<PiecewiseLinear::Point> out{origin};
  for (const PiecewiseLinear::Point& p : points) {
    const double y = std::max(p.y, out.back().y);
    if (p.x <= out.back().x) {
      out.back().y = y;
    } else {
      out.push_back({p.x, y});
    }
  }
  return out;
}

}  // namespace

Result<ContentionModel> ContentionModel::FromMeasurements(
    std::vector<PiecewiseLinear::Point> streaming_gbps_by_sms,
    std::vector<PiecewiseLinear::Point> slowdown_by_aggressor_gbps) {
  for (const auto* points : {&streaming_gbps_by_sms, &slowdown_by_aggressor_gbps}) {
    for (const PiecewiseLinear::Point& p : *points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y) || p.x < 0) {
        return Error(ErrorCode::kInvalidArgument, "measured contention point ({}, {}) is not usable", p.x,
                     p.y);
      }
    }
  }
  MISSILE_ASSIGN_OR_RETURN(PiecewiseLinear streaming,
                           PiecewiseLinear::Create(Monotone(std::move(streaming_gbps_by_sms), {0, 0})));
  MISSILE_ASSIGN_OR_RETURN(PiecewiseLinear slowdown, PiecewiseLinear::Create(Monotone(
                                                         std::move(slowdown_by_aggressor_gbps), {0, 1.0})));
  return Create(std::move(streaming), std::move(slowdown));
}

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
