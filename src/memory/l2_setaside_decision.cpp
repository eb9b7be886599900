#include "memory/l2_setaside_decision.h"

#include <fmt/format.h>

#include <algorithm>

namespace missile::memory {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

SetAsideDecision DecideL2SetAside(const SetAsideTrial& trial, const SetAsideDecisionOptions& options) {
  SetAsideDecision decision;
  const size_t rounds = std::min(trial.p99_with_ms.size(), trial.p99_without_ms.size());
  if (rounds < static_cast<size_t>(std::max(1, options.min_rounds))) {
    decision.reason = fmt::format("{} rounds with and {} without: at least {} of each are needed",
                                  trial.p99_with_ms.size(), trial.p99_without_ms.size(), options.min_rounds);
    return decision;
  }
  const double with = Median(trial.p99_with_ms);
  const double without = Median(trial.p99_without_ms);
  decision.gain = without > 0 ? 1 - with / without : 0;
  double wins = 0;
  for (double w : trial.p99_with_ms) {
    for (double o : trial.p99_without_ms) wins += w < o ? 1.0 : w == o ? 0.5 : 0.0;
  }
  decision.confidence = wins / double(trial.p99_with_ms.size() * trial.p99_without_ms.size());
  decision.use = decision.gain >= options.min_gain && decision.confidence >= options.min_confidence;
  decision.reason = fmt::format(
      "median p99 {:.3f} ms with the set-aside, {:.3f} ms without ({:+.1f}%; {:.0f}% needed); rounds with it "
      "faster in {:.0f}% of pairings ({:.0f}% needed): {}",
      with, without, -100 * decision.gain, 100 * options.min_gain, 100 * decision.confidence,
      100 * options.min_confidence, decision.use ? "use it" : "do not use it");
  return decision;
}

}  // namespace missile::memory
