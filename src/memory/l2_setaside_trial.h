// Deciding online whether the L2 set-aside helps an LS tenant: an A/B trial run on live traffic.
//
// The set-aside may help or hurt (on the H200 it hurt badly:
// docs/results/memory-isolation-h200-2026-11-26.md), and which depends on the tenants sharing the GPU, so it
// is measured where it is used. While the trial runs, the tenant's requests alternate between rounds without
// and with the set-aside, in the order without, with, with, without, ... (ABBA, so a slow drift weighs on
// both sides alike). Only requests served while a BE tenant was running count: the set-aside exists to
// protect LS from BE. After `rounds_per_side` rounds of each, DecideL2SetAside (l2_setaside_decision.h)
// settles it, and the tenant keeps that mode until Restart() (the tenants changed: the plan's NeedsReset).
//
// Pure: the caller measures latencies and applies or removes the access-policy window whenever use_now()
// changes.
#pragma once

#include <optional>
#include <vector>

#include "memory/l2_setaside_decision.h"

namespace missile::memory {

struct SetAsideTrialOptions {
  int requests_per_round = 100;  // contended requests per round; its p99 is the round's number
  int rounds_per_side = 3;
  SetAsideDecisionOptions decision;
};

class L2SetAsideTrial {
 public:
  explicit L2SetAsideTrial(SetAsideTrialOptions options = {});

  // Whether the tenant's next request runs with the set-aside.
  bool use_now() const;
  // One request served in the mode use_now() gave. `contended`: a BE tenant ran while it was served; others
  // are ignored. Returns true when use_now() changed (the caller applies the new mode).
  bool Record(double latency_ms, bool contended);
  const std::optional<SetAsideDecision>& decision() const { return decision_; }
  bool deciding() const { return !decision_.has_value(); }
  // The p99 of every round finished so far, by side (what the decision is made from).
  const SetAsideTrial& rounds() const { return trial_; }
  int rounds_finished() const { return round_; }
  const SetAsideTrialOptions& options() const { return options_; }
  // Forgets everything and starts a new trial.
  void Restart();

 private:
  bool RoundUsesSetAside(int round) const;  // ABBA order
  void FinishRound();

  SetAsideTrialOptions options_;
  int round_ = 0;  // rounds finished
  std::vector<double> round_latencies_;
  SetAsideTrial trial_;
  std::optional<SetAsideDecision> decision_;
};

}  // namespace missile::memory
