// How kernels on disjoint SMs still slow each other down through DRAM bandwidth, from the H200 measurement in
// shared/DEVICE.md: a memory-bound best-effort (BE) kernel on 8/16/32/48/64 SMs slowed a memory-bound
// latency-sensitive (LS) kernel on the remaining SMs by 1.04/1.07/1.28/1.48/1.72x, while a compute-bound LS
// kernel was not slowed at all. Pure functions: the missile policy predicts with it, the simulator applies
// it.
//
// The model, and what is assumed beyond the measurement:
// - The aggressor is described by the DRAM bandwidth it pulls, not by its SM count: the table's BE kernel
//   streamed 647/1267/2379/3317/3934 GB/s alone on those SMs, so the slowdown is a function of that
//   bandwidth. A kernel of memory intensity m (its achieved bandwidth over what a streaming kernel reaches on
//   the same SMs, 0..1) on s SMs pulls m * streaming(s); several aggressors add up. Interpolation is linear
//   between the measured points; above 3934 GB/s (BE on more than 64 SMs, not measured) the last segment is
//   extended up to the full-GPU streaming bandwidth (4490 GB/s, a 1.94x slowdown), which is an extrapolation.
// - The victim's sensitivity scales with its own memory intensity: slowdown = 1 + m_victim * (table - 1), so
// a
//   streaming victim sees the measured table and a compute-bound one (m near 0) about 1.0, as measured.
#pragma once

#include <vector>

#include "core/status.h"
#include "sched/piecewise_linear.h"

namespace missile::sched {

class ContentionModel {
 public:
  // `streaming_gbps_by_sms`: bandwidth of a streaming kernel alone on x SMs (increasing, through (0, 0)).
  // `slowdown_by_aggressor_gbps`: slowdown of a streaming victim while aggressors pull x GB/s (from (0, 1)).
  static Result<ContentionModel> Create(PiecewiseLinear streaming_gbps_by_sms,
                                        PiecewiseLinear slowdown_by_aggressor_gbps);
  // The H200 as measured on 2026-11-25 (shared/DEVICE.md).
  static const ContentionModel& H200();
  // A model measured for one victim and one aggressor kernel (bench/sched/memory_interference_bench.cpp):
  // `streaming_gbps_by_sms`, the aggressor alone on growing partitions; `slowdown_by_aggressor_gbps`, the
  // victim's slowdown on its own partition beside the aggressor, at the bandwidth the aggressor pulled alone
  // there. Measurements are noisy and saturate, so they are made monotone: points sorted, (0, 0) and (0, 1)
  // added, every value the running maximum, and a point whose x does not grow merged into the one before
  // (keeping the larger value). Beyond the last slowdown point the value is held (not extrapolated).
  static Result<ContentionModel> FromMeasurements(
      std::vector<PiecewiseLinear::Point> streaming_gbps_by_sms,
      std::vector<PiecewiseLinear::Point> slowdown_by_aggressor_gbps);

  // GB/s a streaming kernel reaches alone on `sms` SMs.
  double StreamingBandwidth(double sms) const { return streaming_(sms); }
  // Streaming bandwidth of the whole GPU.
  double PeakBandwidth() const { return streaming_.points().back().y; }
  // GB/s a kernel of memory intensity `intensity` pulls on `sms` SMs.
  double PulledBandwidth(double sms, double intensity) const;
  // Slowdown (>= 1) of a kernel of memory intensity `victim_intensity` while others pull `aggressor_gbps`.
  double Slowdown(double victim_intensity, double aggressor_gbps) const;
  // The most aggressor bandwidth that keeps such a victim's slowdown within `max_slowdown` (>= 1).
  double MaxAggressorBandwidth(double victim_intensity, double max_slowdown) const;

  const PiecewiseLinear& streaming_curve() const { return streaming_; }
  const PiecewiseLinear& slowdown_curve() const { return slowdown_; }

 private:
  ContentionModel(PiecewiseLinear streaming, PiecewiseLinear slowdown)
      : streaming_(std::move(streaming)), slowdown_(std::move(slowdown)) {}

  PiecewiseLinear streaming_;
  PiecewiseLinear slowdown_;
};

}  // namespace missile::sched
