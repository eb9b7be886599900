#include "memory/l2_setaside_trial.h"

#include <algorithm>
#include <cmath>

namespace missile::memory {
namespace {

// The nearest-rank 99th percentile.
double P99(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

}  // namespace

L2SetAsideTrial::L2SetAsideTrial(SetAsideTrialOptions options) : options_(options) {
  options_.requests_per_round = std::max(1, options_.requests_per_round);
  options_.rounds_per_side = std::max(1, options_.rounds_per_side);
  options_.decision.min_rounds = options_.rounds_per_side;
}

bool L2SetAsideTrial::RoundUsesSetAside(int round) const {
  // Rounds 0 1 2 3 4 5 ... run without, with, with, without, without, with, ...
  return ((round + 1) / 2) % 2 == 1;
}

bool L2SetAsideTrial::use_now() const {
  return decision_ ? decision_->use : RoundUsesSetAside(round_);
}

bool L2SetAsideTrial::Record(double latency_ms, bool contended) {
  if (decision_ || !contended) return false;
  const bool before = use_now();
  round_latencies_.push_back(latency_ms);
  if (static_cast<int>(round_latencies_.size()) >= options_.requests_per_round) FinishRound();
  return use_now() != before;
}

void L2SetAsideTrial::FinishRound() {
  (RoundUsesSetAside(round_) ? trial_.p99_with_ms : trial_.p99_without_ms).push_back(P99(round_latencies_));
  round_latencies_.clear();
  ++round_;
  if (round_ >= 2 * options_.rounds_per_side) decision_ = DecideL2SetAside(trial_, options_.decision);
}

void L2SetAsideTrial::Restart() {
  round_ = 0;
  round_latencies_.clear();
  trial_ = {};
  decision_.reset();
}

}  // namespace missile::memory
