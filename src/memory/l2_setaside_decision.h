// Whether the L2 set-aside helps enough to be used: the policy side, kept apart from the mechanism.
//
// Input: LS p99 latencies measured in alternating rounds with and without the set-aside, all else equal (the
// same BE load). The set-aside is used only when it measurably helps: the median p99 improves by at least
// `min_gain`, and rounds with it beat rounds without it in at least `min_confidence` of all pairings (a
// rank statistic: one lucky round cannot carry the decision).
#pragma once

#include <string>
#include <vector>

namespace missile::memory {

struct SetAsideTrial {
  std::vector<double> p99_without_ms;  // one per round
  std::vector<double> p99_with_ms;
};

struct SetAsideDecisionOptions {
  double min_gain = 0.03;       // 3% lower median p99
  double min_confidence = 0.9;  // share of (with, without) round pairs where "with" is faster
  int min_rounds = 3;           // per side
};

struct SetAsideDecision {
  bool use = false;
  double gain = 0;        // 1 - median(with) / median(without)
  double confidence = 0;  // P(with < without) over all pairs of rounds, ties counted half
  std::string reason;
};

SetAsideDecision DecideL2SetAside(const SetAsideTrial& trial, const SetAsideDecisionOptions& options = {});

}  // namespace missile::memory
