// A function given by measured points, linear between them: how the scheduler turns a handful of measurements
// (bandwidth at 8, 16, 32... SMs; slowdown at each) into a value anywhere in between.
#pragma once

#include <vector>

#include "core/status.h"

namespace missile::sched {

class PiecewiseLinear {
 public:
  struct Point {
    double x = 0;
    double y = 0;
  };
  // What happens right of the last point: hold its value, or continue along the last segment (an
  // extrapolation, which callers document where they rely on it).
  enum class Beyond { kClamp, kExtend };

  // At least two points with strictly increasing x. Left of the first point the value is the first point's.
  static Result<PiecewiseLinear> Create(std::vector<Point> points, Beyond beyond = Beyond::kClamp);

  double operator()(double x) const;
  // The smallest x with f(x) = y, for an increasing function (y is clamped to the function's range).
  double Inverse(double y) const;
  const std::vector<Point>& points() const { return points_; }

 private:
  PiecewiseLinear(std::vector<Point> points, Beyond beyond) : points_(std::move(points)), beyond_(beyond) {}

  std::vector<Point> points_;
  Beyond beyond_ = Beyond::kClamp;
};

}  // namespace missile::sched
