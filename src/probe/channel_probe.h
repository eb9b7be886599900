// The channel probe's plan, independent of how answers are measured: which lines of which pages to ask
// about, in what order, and what to conclude. `missile probe channels` runs it with the GPU's atomic oracle
// and load timer (probe/cuda); the tests run it with synthetic ones, so every step here is checked on a CPU.
//
//  1. Invariant bits of the reference page (bit 9 on the H200): they halve the lines to measure.
//  2. Classification of the reference page's lines (all of them, or a random sample), `repetitions` times
//     with fresh measurements; two runs give the stability (share of lines classified alike, under the best
//     renumbering).
//  3. Validation: each class's lines read alone versus as many lines spread over all classes (the collapse
//     the method predicts), with a control (two spread sets) that must not collapse.
//  4. Cross-page relation: a few lines of every other page located among the reference's classes — do the
//     pages use the same classes, and is a line's class the one at the same offset of the reference (or at a
//     translated offset)?
//  5. With the whole page classified: the page table model, the "swizzle then modulo" fit, and when it fits,
//     the other pages' constants (a kPageSwizzleMod model covering every probed page).
//
// A time budget stops the probe between phases (never inside one) and shrinks the sample of step 2 when
// the estimated cost would not fit; whatever is skipped is said in `notes`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "probe/classifier.h"
#include "probe/hash_model.h"
#include "probe/line_read_timer.h"
#include "probe/oracle.h"
#include "probe/swizzle_fit.h"

namespace missile::probe {

struct ChannelProbeOptions {
  uint64_t page_bytes = uint64_t{2} << 20;
  uint64_t granule_bytes = 256;
  int64_t lines = 0;     // lines of the reference page to classify, a random sample; 0 or more than the page
                         // holds: all of them (the whole page, and then a model)
  int repetitions = 2;   // classifications of the same lines, each with fresh measurements
  int cross_lines = 16;  // lines of every other page to locate among the reference's classes
  int invariance_samples = 64;
  int validation_repeats = 3;      // timings per line set; the median is kept
  int max_validation_lines = 256;  // per set
  double collapse_ratio = 2.0;     // a class "collapses" when reading it alone is this much slower
  bool fit_swizzle = true;         // try the swizzle-mod family when the whole page was classified
  ClassifierOptions classifier;
  // Seconds from the call; 0: no budget. Planning uses seconds_per_query (the oracle's measured cost).
  double time_budget_s = 0;
  double seconds_per_query = 0;
  int64_t min_lines = 128;  // the smallest sample the budget may shrink the classification to
  // The class count planning assumes when the classifier expects none (shared/CHANNELS.md measured 94).
  int64_t classes_hint = 94;
  uint64_t seed = 1;
  // Progress lines (may be empty); status() of the oracle, for oracles that cannot fail through a bool
  // answer (may be empty: always OK).
  std::function<void(const std::string&)> log;
  std::function<Status()> oracle_status;
};

struct ClassificationRun {
  Status status;                // a failed run keeps its reason and no labels
  std::vector<int32_t> labels;  // one per classified line, in ChannelProbeResult::offsets order
  std::vector<Address> representatives;
  double same_pairs_answered_different = 0;
  double different_pairs_answered_same = 0;
  int64_t repaired = 0;
  int64_t merged = 0;
  QueryStats queries;
  double seconds = 0;

  int64_t class_count() const { return static_cast<int64_t>(representatives.size()); }
};

struct ClassValidation {
  int32_t label = 0;
  int64_t lines = 0;     // lines read (the class's classified lines and their invariant-bit twins)
  double class_us = 0;   // reading them alone
  double spread_us = 0;  // reading as many lines spread over all classes
  double ratio() const { return spread_us > 0 ? class_us / spread_us : 0; }
};

struct ValidationSummary {
  Status status;
  std::vector<ClassValidation> classes;
  double median_ratio = 0;
  double min_ratio = 0;
  double collapsed_fraction = 0;  // classes with ratio >= collapse_ratio
  double control_ratio = 0;       // one spread set against another: should be near 1
  double seconds = 0;
};

// One line of another page, located among the reference's classes.
struct CrossPageLine {
  Address page = 0;
  uint64_t offset = 0;
  std::optional<int32_t> label;  // its class in the reference's numbering; none: matches no reference class
  int32_t reference_label = -1;  // the reference's class at the same offset
};

struct Translation {
  uint64_t offset_delta = 0;  // XOR or addition (mod the page), see CrossPageSummary
  int64_t explained = 0;      // lines whose class is the reference's at the translated offset
  int64_t runner_up = 0;      // the best other translation, to judge chance
};

struct CrossPageSummary {
  Address page = 0;
  int64_t lines = 0;
  int64_t matched = 0;      // located in some reference class
  int64_t same_offset = 0;  // class equal to the reference's at the same offset
  int64_t distinct_classes = 0;
  // Only when the whole reference page is classified: the best offset translations.
  std::optional<Translation> best_xor;
  std::optional<Translation> best_add;
  std::optional<SwizzlePage> swizzle;  // when the swizzle family fits: the page's constants
  std::string swizzle_failure;
};

struct ChannelProbeResult {
  Address reference_page = 0;
  uint64_t page_bytes = 0;
  uint64_t granule_bytes = 0;
  uint64_t invariant_bits = 0;
  QueryStats invariance_queries;
  std::vector<uint64_t> offsets;  // the classified lines (page offsets, ascending)
  bool whole_page = false;        // offsets cover every line with the invariant bits clear
  std::vector<ClassificationRun> runs;
  std::optional<double> stability;  // LabellingAgreement of the first two successful runs
  ValidationSummary validation;
  std::vector<CrossPageLine> cross_lines;
  std::vector<CrossPageSummary> cross_pages;
  double cross_page_seconds = 0;
  std::optional<PageSwizzleFit> swizzle_fit;
  std::string swizzle_fit_failure;
  std::optional<HashModel> model;  // only with the whole reference page classified
  std::vector<std::string> notes;  // budget decisions and skipped phases
  double seconds = 0;

  // The first successful run, or null.
  const ClassificationRun* reference_run() const;
};

// About how many measurements classifying `granules` lines into `classes` classes costs with groups of
// `group_size` (from docs/channel-solver.md's measured costs, on the safe side): for planning only.
int64_t EstimateClassificationQueries(int64_t granules, int64_t classes, int group_size);

// `pages` are page-aligned addresses; the first is the reference. Fails only on invalid arguments or an
// oracle failure before the classification; failed runs and phases are recorded in the result.
Result<ChannelProbeResult> RunChannelProbe(SameClassOracle& oracle, LineReadTimer& reader,
                                           std::span<const Address> pages,
                                           const ChannelProbeOptions& options);

}  // namespace missile::probe
