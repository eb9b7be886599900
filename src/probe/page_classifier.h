// Classifies every granule of one page (2 MiB on the H200), the unit in which the driver hands out physical
// memory: within a page the virtual offset equals the physical offset, across pages nothing is known.
//
// Before classifying, it looks for address bits that never change the class (bit 9 on the H200): each such
// bit halves the granules that need measuring, at a cost of a few dozen measurements per bit. Pages
// classified one by one number their classes independently; AlignPageLabels renumbers a page to a reference
// page's numbering so that a class names the same channel everywhere.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "probe/classifier.h"
#include "probe/hash_model.h"

namespace missile::probe {

struct PageProbeOptions {
  Address page_base = 0;
  uint64_t page_bytes = uint64_t{2} << 20;
  uint64_t granule_bytes = 256;
  ClassifierOptions classifier;
  // Measurements per address bit when testing whether flipping it ever changes the class; 0 skips the test.
  int invariance_samples = 64;
};

struct PageClassification {
  Address base = 0;
  std::vector<int32_t> labels;           // one per granule of the page, in address order
  std::vector<Address> representatives;  // one granule of each class, indexed by label
  // Bits whose flip kept the class in at least (1 - max_noise) of the samples; granules differing only there
  // share their class and were measured once.
  uint64_t invariant_bits = 0;
  double same_pairs_answered_different = 0;  // the classifier's audit
  double different_pairs_answered_same = 0;
  QueryStats queries;  // everything, the invariance test and any alignment included

  int64_t class_count() const { return static_cast<int64_t>(representatives.size()); }
};

// The granule-offset bits whose flip kept the class in at least (1 - max_noise) of invariance_samples
// measurements (bit 9 on the H200): the first step of ClassifyPage, public so that a probe classifying only a
// sample of a page's granules can skip the same bits. Adds its measurements to `queries`.
uint64_t FindInvariantBits(SameClassOracle& oracle, const PageProbeOptions& options, QueryStats& queries);

// `predicted`, when not empty, guesses a class per granule of the page (see ClassifyGranules).
Result<PageClassification> ClassifyPage(SameClassOracle& oracle, const PageProbeOptions& options,
                                        std::span<const int64_t> predicted = {});

// Renumbers `page` so that its labels name the reference's classes: each of its representatives is searched
// among the reference's (about C^2/2 measurements in all). Fails unless the matching is one-to-one.
Status AlignPageLabels(SameClassOracle& oracle, const VoteOptions& votes, const PageClassification& reference,
                       PageClassification& page);

// A kPageTable model of classified pages (sorted by base). labels_aligned says whether they share a
// numbering.
HashModel PageTableModel(std::span<const PageClassification> pages, uint64_t page_bytes,
                         uint64_t granule_bytes, bool labels_aligned);

}  // namespace missile::probe
