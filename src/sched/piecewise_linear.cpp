#include "sched/piecewise_linear.h"

#include <algorithm>
#include <cmath>

namespace missile::sched {
namespace {

double Interpolate(const PiecewiseLinear::Point& a, const PiecewiseLinear::Point& b, double x) {
  return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
}

}  // namespace

Result<PiecewiseLinear> PiecewiseLinear::Create(std::vector<Point> points, Beyond beyond) {
  if (points.size() < 2) {
    return Error(ErrorCode::kInvalidArgument, "a piecewise-linear curve needs at least 2 points, got {}",
                 points.size());
  }
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].x) || !std::isfinite(points[i].y)) {
      return Error(ErrorCode::kInvalidArgument, "point {} of a piecewise-linear curve is not finite", i);
    }
    if (i > 0 && !(points[i].x > points[i - 1].x)) {
      return Error(ErrorCode::kInvalidArgument, "piecewise-linear points must have increasing x: {} after {}",
                   points[i].x, points[i - 1].x);
    }
  }
  return PiecewiseLinear(std::move(points), beyond);
}

double PiecewiseLinear::operator()(double x) const {
  if (x <= points_.front().x) return points_.front().y;
  if (x >= points_.back().x) {
    if (beyond_ == Beyond::kClamp) return points_.back().y;
    return Interpolate(points_[points_.size() - 2], points_.back(), x);
  }
  const auto upper = std::upper_bound(points_.begin(), points_.end(), x,
                                      [](double value, const Point& p) { return value < p.x; });
  return Interpolate(*(upper - 1), *upper, x);
}

double PiecewiseLinear::Inverse(double y) const {
  if (y <= points_.front().y) return points_.front().x;
  for (size_t i = 1; i < points_.size(); ++i) {
    const Point& a = points_[i - 1];
    const Point& b = points_[i];
    if (y <= b.y && b.y > a.y) return a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y);
  }
  if (beyond_ == Beyond::kExtend) {
    const Point& a = points_[points_.size() - 2];
    const Point& b = points_.back();
    if (b.y > a.y) return a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y);
  }
  return points_.back().x;
}

}  // namespace missile::sched
