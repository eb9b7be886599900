#include "probe/classifier.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>

namespace missile::probe {
namespace {

class GreedyClassifier {
 public:
  GreedyClassifier(SameClassOracle& oracle, std::span<const Address> granules,
                   const ClassifierOptions& options)
      : prober_(oracle, options.votes), granules_(granules), options_(options), rng_(options.seed) {}

  Status Assign(std::span<const int64_t> predicted);
  void Repair();
  Status Audit();
  Classification Finish() &&;

 private:
  size_t Pick(size_t count) { return std::uniform_int_distribution<size_t>(0, count - 1)(rng_); }

  // The class among `classes` that granule k shares, or -1. The first `strong_guesses` are predictions.
  int32_t Search(size_t k, std::span<const int32_t> classes, size_t strong_guesses = 0);
  int32_t NewClass(size_t k);
  // Compares the representatives of classes created since the last check with all others and merges
  // duplicates; renumbers `dirty` to the surviving classes and adds those that grew.
  void MergeDuplicates(std::vector<int32_t>& dirty);
  // Re-checks every granule of `classes` against a random fellow member; returns the classes that changed.
  std::vector<int32_t> RecheckMembers(const std::vector<int32_t>& classes);
  std::vector<std::vector<size_t>> Members() const;

  Prober prober_;
  std::span<const Address> granules_;
  const ClassifierOptions& options_;
  std::mt19937_64 rng_;
  std::vector<int32_t> labels_;
  std::vector<size_t> representative_;  // granule index of each class's representative
  std::vector<Address> candidates_;     // scratch for Search
  int32_t checked_classes_ = 0;         // classes [0, checked_classes_) were compared pairwise
  int64_t repaired_ = 0;
  int64_t merged_ = 0;
  double same_pairs_answered_different_ = 0;
  double different_pairs_answered_same_ = 0;
};

int32_t GreedyClassifier::Search(size_t k, std::span<const int32_t> classes, size_t strong_guesses) {
  candidates_.clear();
  for (int32_t c : classes) candidates_.push_back(granules_[representative_[c]]);
  const std::optional<size_t> match = prober_.FindMatch(granules_[k], candidates_, strong_guesses);
  return match ? classes[*match] : -1;
}

int32_t GreedyClassifier::NewClass(size_t k) {
  representative_.push_back(k);
  return static_cast<int32_t>(representative_.size() - 1);
}

Status GreedyClassifier::Assign(std::span<const int64_t> predicted) {
  labels_.assign(granules_.size(), -1);
  std::unordered_map<int64_t, int32_t> class_of_guess;
  std::vector<int32_t> order;
  for (size_t k = 0; k < granules_.size(); ++k) {
    // Representatives in discovery order, with the class this granule's guess led to before moved to the
    // front.
    order.resize(representative_.size());
    std::iota(order.begin(), order.end(), 0);
    const auto guess = predicted.empty() ? class_of_guess.end() : class_of_guess.find(predicted[k]);
    const bool guessed = guess != class_of_guess.end();
    if (guessed) std::rotate(order.begin(), order.begin() + guess->second, order.begin() + guess->second + 1);
    const int32_t found = Search(k, order, guessed ? 1 : 0);
    labels_[k] = found >= 0 ? found : NewClass(k);
    if (!predicted.empty()) class_of_guess.try_emplace(predicted[k], labels_[k]);
    if (static_cast<int64_t>(representative_.size()) > options_.max_classes) {
      return Error(ErrorCode::kFailedPrecondition,
                   "more than {} classes after {} granules: the answers are not consistent with a partition",
                   options_.max_classes, k + 1);
    }
  }
  return Status::Ok();
}

std::vector<std::vector<size_t>> GreedyClassifier::Members() const {
  std::vector<std::vector<size_t>> members(representative_.size());
  for (size_t k = 0; k < labels_.size(); ++k) members[labels_[k]].push_back(k);
  return members;
}

void GreedyClassifier::MergeDuplicates(std::vector<int32_t>& dirty) {
  const int32_t count = static_cast<int32_t>(representative_.size());
  std::vector<int32_t> merged_into(count);
  std::iota(merged_into.begin(), merged_into.end(), 0);
  std::vector<int32_t> earlier;
  for (int32_t j = 0; j < count; ++j) {
    if (j >= checked_classes_) {
      if (const int32_t i = Search(representative_[j], earlier); i >= 0) {
        merged_into[j] = i;
        dirty.push_back(i);
        ++merged_;
        continue;
      }
    }
    earlier.push_back(j);
  }
  // Renumber the surviving classes densely, keeping discovery order.
  std::vector<int32_t> renumber(count);
  std::vector<size_t> survivors;
  for (int32_t c = 0; c < count; ++c) {
    if (merged_into[c] == c) {
      renumber[c] = static_cast<int32_t>(survivors.size());
      survivors.push_back(representative_[c]);
    }
  }
  for (int32_t& label : labels_) label = renumber[merged_into[label]];
  for (int32_t& c : dirty) c = renumber[merged_into[c]];
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
  representative_ = std::move(survivors);
  checked_classes_ = static_cast<int32_t>(representative_.size());
}

std::vector<int32_t> GreedyClassifier::RecheckMembers(const std::vector<int32_t>& classes) {
  const std::vector<std::vector<size_t>> members = Members();
  std::vector<int32_t> changed;
  std::vector<int32_t> others;
  for (int32_t c : classes) {
    for (size_t k : members[c]) {
      if (k == representative_[c]) continue;
      // A random fellow member rather than always the representative: a wrong answer that sticks to one pair
      // cannot then hide a mistake.
      size_t partner = members[c][Pick(members[c].size())];
      if (partner == k) partner = representative_[c];
      if (prober_.Ask(granules_[k], granules_[partner])) continue;
      if (prober_.VotedSame(granules_[k], granules_[representative_[c]])) continue;
      others.clear();
      for (int32_t o = 0; o < static_cast<int32_t>(representative_.size()); ++o) {
        if (o != c) others.push_back(o);
      }
      const int32_t found = Search(k, others);
      labels_[k] = found >= 0 ? found : NewClass(k);
      changed.push_back(c);
      changed.push_back(labels_[k]);
      ++repaired_;
    }
  }
  return changed;
}

void GreedyClassifier::Repair() {
  std::vector<int32_t> dirty(representative_.size());
  std::iota(dirty.begin(), dirty.end(), 0);
  for (int round = 0; round < options_.max_repair_rounds && !dirty.empty(); ++round) {
    MergeDuplicates(dirty);
    dirty = RecheckMembers(dirty);
  }
  // Classes founded by the last re-check still have to be compared with the others.
  MergeDuplicates(dirty);
}

Status GreedyClassifier::Audit() {
  const std::vector<std::vector<size_t>> members = Members();
  std::vector<size_t> in_shared_class;
  for (const auto& m : members) {
    if (m.size() >= 2) in_shared_class.insert(in_shared_class.end(), m.begin(), m.end());
  }
  int64_t same_asked = 0, same_denied = 0, different_asked = 0, different_confirmed = 0;
  for (int t = 0; t < options_.audit_pairs && !in_shared_class.empty(); ++t) {
    const size_t k = in_shared_class[Pick(in_shared_class.size())];
    const auto& fellows = members[labels_[k]];
    size_t partner = fellows[Pick(fellows.size())];
    while (partner == k) partner = fellows[Pick(fellows.size())];
    ++same_asked;
    same_denied += !prober_.Ask(granules_[k], granules_[partner]);
  }
  for (int t = 0; t < options_.audit_pairs && members.size() >= 2; ++t) {
    const size_t k = Pick(granules_.size());
    size_t other = Pick(granules_.size());
    while (labels_[other] == labels_[k]) other = Pick(granules_.size());
    ++different_asked;
    different_confirmed += prober_.Ask(granules_[k], granules_[other]);
  }
  same_pairs_answered_different_ = same_asked ? double(same_denied) / double(same_asked) : 0.0;
  different_pairs_answered_same_ =
      different_asked ? double(different_confirmed) / double(different_asked) : 0.0;
  if (same_pairs_answered_different_ > options_.max_noise ||
      different_pairs_answered_same_ > options_.max_noise) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "the answers are inconsistent with the {} classes found: {:.1f}% of same-class pairs were answered "
        "'different' and {:.1f}% of different-class pairs 'same' (accepted as noise: up to {:.1f}%); the "
        "oracle is too noisy or the mapping is not a partition",
        representative_.size(), 100 * same_pairs_answered_different_, 100 * different_pairs_answered_same_,
        100 * options_.max_noise);
  }
  return Status::Ok();
}

Classification GreedyClassifier::Finish() && {
  Classification result;
  result.labels = std::move(labels_);
  for (size_t k : representative_) result.representatives.push_back(granules_[k]);
  result.repaired = repaired_;
  result.merged = merged_;
  result.same_pairs_answered_different = same_pairs_answered_different_;
  result.different_pairs_answered_same = different_pairs_answered_same_;
  result.queries = prober_.stats();
  return result;
}

}  // namespace

Result<Classification> ClassifyGranules(SameClassOracle& oracle, std::span<const Address> granules,
                                        const ClassifierOptions& options,
                                        std::span<const int64_t> predicted) {
  if (granules.empty()) return Error(ErrorCode::kInvalidArgument, "no granules to classify");
  if (!predicted.empty() && predicted.size() != granules.size()) {
    return Error(ErrorCode::kInvalidArgument, "{} predicted classes for {} granules", predicted.size(),
                 granules.size());
  }
  GreedyClassifier classifier(oracle, granules, options);
  MISSILE_RETURN_IF_ERROR(classifier.Assign(predicted));
  classifier.Repair();
  MISSILE_RETURN_IF_ERROR(classifier.Audit());
  Classification result = std::move(classifier).Finish();
  if (options.expected_classes > 0 && result.class_count() != options.expected_classes) {
    return Error(ErrorCode::kFailedPrecondition, "found {} classes where {} were expected",
                 result.class_count(), options.expected_classes);
  }
  return result;
}

double LabellingAgreement(std::span<const int32_t> labels, std::span<const int64_t> reference) {
  if (labels.empty() || labels.size() != reference.size()) return 0.0;
  std::map<std::pair<int32_t, int64_t>, int64_t> overlap;
  for (size_t i = 0; i < labels.size(); ++i) ++overlap[{labels[i], reference[i]}];
  std::vector<std::pair<int64_t, std::pair<int32_t, int64_t>>> by_size;
  for (const auto& [pair, count] : overlap) by_size.push_back({count, pair});
  std::sort(by_size.begin(), by_size.end(), std::greater<>());
  std::set<int32_t> labels_paired;
  std::set<int64_t> references_paired;
  int64_t agreeing = 0;
  for (const auto& [count, pair] : by_size) {
    if (labels_paired.contains(pair.first) || references_paired.contains(pair.second)) continue;
    labels_paired.insert(pair.first);
    references_paired.insert(pair.second);
    agreeing += count;
  }
  return double(agreeing) / double(labels.size());
}

}  // namespace missile::probe
