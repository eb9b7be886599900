// Partitions granules into classes with a noisy same-class oracle, for any mapping (no linearity assumed).
//
// Greedy representatives: each granule is compared with one representative per class found so far (Prober::
// FindMatch) and starts a new class when none matches — about C/2 measurements per granule for C classes,
// plus votes where answers said "same". Then a consistency pass repairs what noise got past the votes:
// duplicate classes (a granule whose match was missed founds a second class for it) are merged by searching
// each representative among the earlier ones (about 3C^2/2 measurements), and every granule is re-checked
// against a random member of its class, with a vote and a fresh search when that disagrees (about 1 + 5p
// measurements per granule).
// Last, an audit measures how often fresh same-class and different-class pairs are answered against the
// classification: a good partition shows the oracle's noise rate on both; inconsistent answers (an oracle
// that answers at random, a mapping that is not a partition) show up near 50% and are reported as an error
// instead of a partition.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "probe/oracle.h"
#include "probe/prober.h"

namespace missile::probe {

struct ClassifierOptions {
  VoteOptions votes;
  int64_t expected_classes = 0;  // when known (94 on the H200): a different count is an error; 0: unknown
  int64_t max_classes = 4096;    // more classes than this means the answers make no sense
  int max_repair_rounds = 3;
  int audit_pairs = 400;    // of each kind, one measurement each
  double max_noise = 0.25;  // the largest audit disagreement accepted as noise rather than inconsistency
  uint64_t seed = 1;        // picks repair partners and audit pairs
};

struct Classification {
  std::vector<int32_t> labels;           // class of each input granule, numbered from 0 in order of discovery
  std::vector<Address> representatives;  // one granule of each class
  int64_t repaired = 0;                  // granules the consistency pass moved to another class
  int64_t merged = 0;                    // classes merged into others
  double same_pairs_answered_different = 0;  // audit: estimates the oracle's flip rate ...
  double different_pairs_answered_same = 0;  // ... from both sides
  QueryStats queries;

  int64_t class_count() const { return static_cast<int64_t>(representatives.size()); }
};

// `predicted`, when not empty, holds a guess of each granule's class in any numbering (a fitted model, the
// layout of a neighbouring page); granules with the same guess are tried first against the class their
// predecessors landed in, which makes a good guess cost O(1) measurements per granule instead of O(C).
Result<Classification> ClassifyGranules(SameClassOracle& oracle, std::span<const Address> granules,
                                        const ClassifierOptions& options,
                                        std::span<const int64_t> predicted = {});

// The fraction of granules whose label matches `reference` under a one-to-one renumbering of labels, the one
// found by pairing the largest overlaps first: the accuracy of a classification whose numbering is arbitrary.
double LabellingAgreement(std::span<const int32_t> labels, std::span<const int64_t> reference);

}  // namespace missile::probe
