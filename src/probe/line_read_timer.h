// The independent check of a classification: read a set of lines from many SMs at once and time it.
//
// Every line of a set that shares one L2 slice is served by that slice alone, so reading a class's lines
// takes several times longer than reading as many lines spread over all classes (the throughput collapse the
// atomic oracle relies on, seen through plain loads). On the GPU this is a kernel (probe/cuda); tests use a
// model of it.
#pragma once

#include <span>

#include "core/status.h"
#include "probe/oracle.h"

namespace missile::probe {

class LineReadTimer {
 public:
  virtual ~LineReadTimer() = default;

  // The time, in microseconds, that a fixed number of reads spread round-robin over `lines` takes: the same
  // amount of work whatever the set, so times compare as inverse throughputs.
  virtual Result<double> TimeReads(std::span<const Address> lines) = 0;
};

}  // namespace missile::probe
