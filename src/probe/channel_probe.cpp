#include "probe/channel_probe.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "probe/gf2.h"
#include "probe/page_classifier.h"
#include "probe/prober.h"
#include "probe/swizzle_identify.h"

namespace missile::probe {
namespace {

using Clock = std::chrono::steady_clock;

// Twins of a line through invariant bits are read too when validating, unless there are more of them than
// this (then each line stands alone).
constexpr int kMaxTwinBits = 3;

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Elapsed time, the budget, and the notes saying what the budget cut.
class Budget {
 public:
  Budget(const ChannelProbeOptions& options, ChannelProbeResult& result)
      : options_(options), result_(result), start_(Clock::now()) {}

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  double remaining() const {
    return options_.time_budget_s > 0 ? options_.time_budget_s - elapsed()
                                      : std::numeric_limits<double>::max();
  }
  // Whether a phase expected to take `expected_s` may start; notes why not.
  bool MayStart(const std::string& phase, double expected_s = 0) {
    if (options_.time_budget_s <= 0) return true;
    if (remaining() > expected_s && remaining() > 0) return true;
    result_.notes.push_back(fmt::format("skipped {}: {:.1f} s of the {:.0f} s budget left, {:.1f} s expected",
                                        phase, std::max(0.0, remaining()), options_.time_budget_s,
                                        expected_s));
    return false;
  }
  void Log(const std::string& line) const {
    if (options_.log) options_.log(fmt::format("[{:7.1f} s] {}", elapsed(), line));
  }

 private:
  const ChannelProbeOptions& options_;
  ChannelProbeResult& result_;
  Clock::time_point start_;
};

Status OracleStatus(const ChannelProbeOptions& options) {
  return options.oracle_status ? options.oracle_status() : Status::Ok();
}

// Lines to classify: every offset with the invariant bits clear, or a random sample of them.
std::vector<uint64_t> ChooseOffsets(uint64_t measured_bits, int64_t lines, std::mt19937_64& rng) {
  const uint64_t total = uint64_t{1} << std::popcount(measured_bits);
  std::vector<uint64_t> all(total);
  for (uint64_t k = 0; k < total; ++k) all[k] = gf2::ExpandBits(k, measured_bits);
  if (lines <= 0 || static_cast<uint64_t>(lines) >= total) return all;
  std::vector<uint64_t> sample;
  std::sample(all.begin(), all.end(), std::back_inserter(sample), lines, rng);  // keeps ascending order
  return sample;
}

int64_t PlannedLines(const ChannelProbeOptions& options, int64_t wanted, int group_size, double remaining_s,
                     ChannelProbeResult& result) {
  if (options.time_budget_s <= 0 || options.seconds_per_query <= 0) return wanted;
  const int64_t classes =
      options.classifier.expected_classes > 0 ? options.classifier.expected_classes : options.classes_hint;
  // The runs share 70% of what is left; validation and the cross-page phase are cheap next to them.
  const double per_run_queries =
      0.7 * remaining_s / std::max(1, options.repetitions) / options.seconds_per_query;
  int64_t fit = wanted;
  while (fit > options.min_lines &&
         EstimateClassificationQueries(fit, classes, group_size) > per_run_queries) {
    fit = std::max(options.min_lines, fit * 9 / 10);
  }
  if (fit < wanted) {
    result.notes.push_back(fmt::format(
        "classified {} sampled lines instead of {}: at {:.0f} us per measurement, {} runs of {} lines would "
        "not fit the {:.0f} s budget",
        fit, wanted, 1e6 * options.seconds_per_query, options.repetitions, wanted, options.time_budget_s));
  }
  return fit;
}

ClassificationRun Classify(SameClassOracle& oracle, std::span<const Address> lines,
                           const ChannelProbeOptions& options, int run) {
  ClassificationRun result;
  ClassifierOptions classifier = options.classifier;
  classifier.seed = options.classifier.seed + 7919 * static_cast<uint64_t>(run) + options.seed;
  const auto start = Clock::now();
  Result<Classification> classified = ClassifyGranules(oracle, lines, classifier);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (Status broken = OracleStatus(options); !broken.ok()) {
    result.status = broken.WithContext("the oracle failed during the classification");
    return result;
  }
  if (!classified.ok()) {
    result.status = classified.status();
    return result;
  }
  result.labels = std::move(classified->labels);
  result.representatives = std::move(classified->representatives);
  result.same_pairs_answered_different = classified->same_pairs_answered_different;
  result.different_pairs_answered_same = classified->different_pairs_answered_same;
  result.repaired = classified->repaired;
  result.merged = classified->merged;
  result.queries = classified->queries;
  return result;
}

// Every offset of the page that differs from `offset` only in invariant bits (offset itself first).
std::vector<uint64_t> Twins(uint64_t offset, uint64_t invariant_bits) {
  if (std::popcount(invariant_bits) > kMaxTwinBits) return {offset};
  std::vector<uint64_t> twins;
  for (uint64_t k = 0; k < (uint64_t{1} << std::popcount(invariant_bits)); ++k) {
    twins.push_back(offset ^ gf2::ExpandBits(k, invariant_bits));
  }
  return twins;
}

// `count` lines taken round-robin over the classes in a random order, one classified line of each per
// turn: as many different classes as the count allows.
std::vector<Address> SpreadSet(const std::vector<std::vector<uint64_t>>& members, Address page, size_t count,
                               std::mt19937_64& rng) {
  std::vector<size_t> order(members.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Address> set;
  for (size_t turn = 0; set.size() < count; ++turn) {
    bool any = false;
    for (size_t c : order) {
      if (turn >= members[c].size()) continue;
      any = true;
      set.push_back(page + members[c][turn]);
      if (set.size() == count) break;
    }
    if (!any) break;
  }
  return set;
}

Result<double> MedianTime(LineReadTimer& reader, std::span<const Address> lines, int repeats) {
  std::vector<double> times;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    MISSILE_ASSIGN_OR_RETURN(double us, reader.TimeReads(lines));
    times.push_back(us);
  }
  return Median(times);
}

Status ValidateByReads(LineReadTimer& reader, const ChannelProbeResult& probe, const ClassificationRun& run,
                       const ChannelProbeOptions& options, ValidationSummary& summary) {
  std::vector<std::vector<uint64_t>> members(run.class_count());
  for (size_t i = 0; i < probe.offsets.size(); ++i) members[run.labels[i]].push_back(probe.offsets[i]);
  std::mt19937_64 rng(options.seed ^ 0x5bd1e995u);
  const size_t cap = static_cast<size_t>(std::max(2, options.max_validation_lines));
  std::vector<size_t> sizes;
  for (int32_t c = 0; c < run.class_count(); ++c) {
    std::vector<Address> alone;
    for (uint64_t offset : members[c]) {
      for (uint64_t twin : Twins(offset, probe.invariant_bits)) {
        if (alone.size() < cap) alone.push_back(probe.reference_page + twin);
      }
    }
    if (alone.size() < 2) continue;  // one line shows nothing about sharing
    const std::vector<Address> spread = SpreadSet(members, probe.reference_page, alone.size(), rng);
    std::vector<double> class_times, spread_times;
    // Interleaved, so that a drift of the clocks affects both sides alike.
    for (int r = 0; r < std::max(1, options.validation_repeats); ++r) {
      MISSILE_ASSIGN_OR_RETURN(double a, reader.TimeReads(alone));
      MISSILE_ASSIGN_OR_RETURN(double b, reader.TimeReads(spread));
      class_times.push_back(a);
      spread_times.push_back(b);
    }
    summary.classes.push_back(
        {c, static_cast<int64_t>(alone.size()), Median(class_times), Median(spread_times)});
    sizes.push_back(alone.size());
  }
  if (summary.classes.empty()) {
    return Error(ErrorCode::kFailedPrecondition, "no class has two lines to read together");
  }
  std::vector<double> ratios;
  for (const ClassValidation& v : summary.classes) ratios.push_back(v.ratio());
  summary.median_ratio = Median(ratios);
  summary.min_ratio = *std::min_element(ratios.begin(), ratios.end());
  summary.collapsed_fraction = double(std::count_if(ratios.begin(), ratios.end(),
                                                    [&](double r) { return r >= options.collapse_ratio; })) /
                               double(ratios.size());
  // Control: two spread sets of a typical class's size must read equally fast.
  std::sort(sizes.begin(), sizes.end());
  const size_t typical = sizes[sizes.size() / 2];
  const std::vector<Address> a = SpreadSet(members, probe.reference_page, typical, rng);
  const std::vector<Address> b = SpreadSet(members, probe.reference_page, typical, rng);
  MISSILE_ASSIGN_OR_RETURN(double ta, MedianTime(reader, a, options.validation_repeats));
  MISSILE_ASSIGN_OR_RETURN(double tb, MedianTime(reader, b, options.validation_repeats));
  summary.control_ratio = tb > 0 ? ta / tb : 0;
  return Status::Ok();
}

// The class of every line of the page (twins through invariant bits share their measured line's class).
std::vector<int32_t> WholePageLabels(const ChannelProbeResult& probe, const ClassificationRun& run) {
  const uint64_t granules = probe.page_bytes / probe.granule_bytes;
  const uint64_t granule_bits = (probe.page_bytes - 1) & ~(probe.granule_bytes - 1);
  const uint64_t measured_bits = granule_bits & ~probe.invariant_bits;
  std::vector<int32_t> labels(granules);
  for (uint64_t g = 0; g < granules; ++g) {
    // probe.offsets holds every measured offset in ascending order: the k-th is ExpandBits(k).
    labels[g] = run.labels[gf2::CompressBits(g * probe.granule_bytes, measured_bits)];
  }
  return labels;
}

// The offset translation (XOR or addition mod the page) that explains the most located lines, and the best
// one that is not equivalent to it through invariant bits.
Translation BestTranslation(const std::vector<int32_t>& page_labels, const ChannelProbeResult& probe,
                            std::span<const CrossPageLine> lines, bool additive) {
  std::vector<std::pair<int64_t, uint64_t>> scores;
  for (uint64_t d = 0; d < probe.page_bytes; d += probe.granule_bytes) {
    if (!additive && (d & probe.invariant_bits) != 0) continue;  // equivalent to d with those bits clear
    int64_t explained = 0;
    for (const CrossPageLine& line : lines) {
      if (!line.label) continue;
      const uint64_t moved = additive ? (line.offset + d) % probe.page_bytes : line.offset ^ d;
      explained += page_labels[moved / probe.granule_bytes] == *line.label;
    }
    scores.push_back({explained, d});
  }
  std::sort(scores.begin(), scores.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  Translation best{scores.front().second, scores.front().first, 0};
  for (const auto& [explained, d] : scores) {
    if (((d ^ best.offset_delta) & ~probe.invariant_bits) != 0) {
      best.runner_up = explained;
      break;
    }
  }
  return best;
}

void RelatePages(SameClassOracle& oracle, std::span<const Address> pages, const ClassificationRun& run,
                 const ChannelProbeOptions& options, const std::vector<int32_t>* page_labels,
                 ChannelProbeResult& result, Budget& budget) {
  const auto start = Clock::now();
  std::mt19937_64 rng(options.seed ^ 0x27d4eb2fu);
  Prober prober(oracle, options.classifier.votes);
  std::vector<size_t> indices(result.offsets.size());
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<Address> candidates;
  std::vector<int32_t> order;
  for (Address page : pages.subspan(1)) {
    if (!budget.MayStart(fmt::format("the cross-page relation of page {:#x}", page))) break;
    std::vector<size_t> chosen;
    std::sample(indices.begin(), indices.end(), std::back_inserter(chosen),
                std::min<size_t>(options.cross_lines, indices.size()), rng);
    CrossPageSummary summary;
    summary.page = page;
    std::set<int32_t> seen;
    const size_t first_line = result.cross_lines.size();
    for (size_t i : chosen) {
      CrossPageLine line{page, result.offsets[i], std::nullopt, run.labels[i]};
      // The reference's class at the same offset is tried first (voted): cheap when layouts agree, one vote
      // lost when they do not.
      order.resize(run.class_count());
      std::iota(order.begin(), order.end(), 0);
      std::rotate(order.begin(), order.begin() + line.reference_label,
                  order.begin() + line.reference_label + 1);
      candidates.clear();
      for (int32_t c : order) candidates.push_back(run.representatives[c]);
      if (const auto match = prober.FindMatch(page + line.offset, candidates, 1)) {
        line.label = order[*match];
        seen.insert(*line.label);
        ++summary.matched;
        summary.same_offset += *line.label == line.reference_label;
      }
      ++summary.lines;
      result.cross_lines.push_back(line);
    }
    summary.distinct_classes = static_cast<int64_t>(seen.size());
    if (page_labels != nullptr) {
      const std::span<const CrossPageLine> lines(result.cross_lines.data() + first_line, chosen.size());
      summary.best_xor = BestTranslation(*page_labels, result, lines, false);
      summary.best_add = BestTranslation(*page_labels, result, lines, true);
    }
    budget.Log(fmt::format("page {:#x}: {} of {} lines located, {} at the reference's class for the offset",
                           page, summary.matched, summary.lines, summary.same_offset));
    result.cross_pages.push_back(std::move(summary));
  }
  result.cross_page_seconds = std::chrono::duration<double>(Clock::now() - start).count();
}

// Fits the whole reference page to the swizzle-mod family and, when it fits, identifies every other page's
// constants. Returns the kPageSwizzleMod model, or nullopt (the reason is in the result).
std::optional<HashModel> FitSwizzleModel(SameClassOracle& oracle, std::span<const Address> pages,
                                         const std::vector<int32_t>& page_labels, int64_t class_count,
                                         const ChannelProbeOptions& options, ChannelProbeResult& result,
                                         Budget& budget) {
  SwizzleModFamily family;
  family.granule_bytes = result.granule_bytes;
  family.page_bytes = result.page_bytes;
  family.in_page_index_mask =
      ((result.page_bytes - 1) & ~(result.granule_bytes - 1)) & ~result.invariant_bits;
  family.modulus = class_count;
  if (Status valid = Validate(family); !valid.ok()) {
    result.swizzle_fit_failure = valid.message();
    return std::nullopt;
  }
  Result<PageSwizzleFit> fit = FitPageSwizzle(page_labels, family);
  if (!fit.ok()) {
    result.swizzle_fit_failure = fit.status().message();
    return std::nullopt;
  }
  result.swizzle_fit = *fit;
  budget.Log(fmt::format("the page fits the swizzle-mod family: constant {:#x}, {:.2f}% of lines",
                         fit->xor_constant, 100 * fit->agreement));
  const SwizzlePage reference{pages.front(), fit->xor_constant, 0, 0};
  std::vector<SwizzlePage> identified{reference};
  for (size_t p = 1; p < pages.size(); ++p) {
    CrossPageSummary* summary = nullptr;
    for (CrossPageSummary& s : result.cross_pages) {
      if (s.page == pages[p]) summary = &s;
    }
    if (!budget.MayStart(fmt::format("the swizzle constants of page {:#x}", pages[p]))) break;
    SwizzleIdentifyOptions identify;
    identify.family = family;
    identify.page_base = pages[p];
    identify.seed = options.seed + p;
    Result<SwizzleIdentification> constants = IdentifyPageSwizzle(oracle, identify);
    if (!constants.ok()) {
      if (summary != nullptr) summary->swizzle_failure = constants.status().message();
      continue;
    }
    SwizzleAlignOptions align;
    align.votes = options.classifier.votes;
    align.seed = options.seed + p;
    Result<SwizzleAlignment> aligned =
        AlignSwizzlePage(oracle, family, reference, pages[p], constants->xor_constant, align);
    if (aligned.ok()) {
      identified.push_back(aligned->page);
      if (summary != nullptr) summary->swizzle = aligned->page;
    } else if (summary != nullptr) {
      summary->swizzle_failure = aligned.status().message();
    }
  }
  return SwizzlePageModel(family, std::move(identified));
}

}  // namespace

const ClassificationRun* ChannelProbeResult::reference_run() const {
  for (const ClassificationRun& run : runs) {
    if (run.status.ok()) return &run;
  }
  return nullptr;
}

int64_t EstimateClassificationQueries(int64_t granules, int64_t classes, int group_size) {
  const double g = std::max(1, group_size);
  const double c = static_cast<double>(std::max<int64_t>(1, classes));
  // Per line: a scan of C/g groups (half on average, doubled for noise) and about 25 for votes, bisection
  // and the repair pass; per class: founding it (a full voted scan) and the duplicate search.
  const double per_line = 2.0 * c / (2 * g) + 25;
  const double fixed = 4 * c * std::ceil(c / g) + 1000;
  return static_cast<int64_t>(per_line * static_cast<double>(granules) + fixed);
}

Result<ChannelProbeResult> RunChannelProbe(SameClassOracle& oracle, LineReadTimer& reader,
                                           std::span<const Address> pages,
                                           const ChannelProbeOptions& options) {
  if (pages.empty()) return Error(ErrorCode::kInvalidArgument, "no page to probe");
  if (!std::has_single_bit(options.page_bytes) || !std::has_single_bit(options.granule_bytes) ||
      options.granule_bytes >= options.page_bytes) {
    return Error(ErrorCode::kInvalidArgument,
                 "page {} and granule {} bytes must be powers of two, granule < page", options.page_bytes,
                 options.granule_bytes);
  }
  for (Address page : pages) {
    if (page % options.page_bytes != 0) {
      return Error(ErrorCode::kInvalidArgument, "page {:#x} is not aligned to {} bytes", page,
                   options.page_bytes);
    }
  }
  if (options.repetitions < 1) return Error(ErrorCode::kInvalidArgument, "repetitions must be at least 1");

  ChannelProbeResult result;
  Budget budget(options, result);
  result.reference_page = pages.front();
  result.page_bytes = options.page_bytes;
  result.granule_bytes = options.granule_bytes;
  std::mt19937_64 rng(options.seed);

  // 1. Invariant bits.
  PageProbeOptions page_options;
  page_options.page_base = pages.front();
  page_options.page_bytes = options.page_bytes;
  page_options.granule_bytes = options.granule_bytes;
  page_options.classifier = options.classifier;
  page_options.invariance_samples = options.invariance_samples;
  if (options.invariance_samples > 0) {
    result.invariant_bits = FindInvariantBits(oracle, page_options, result.invariance_queries);
    MISSILE_RETURN_IF_ERROR(OracleStatus(options).WithContext("testing bits for invariance"));
  }
  budget.Log(fmt::format("invariant bits {:#x} ({} measurements)", result.invariant_bits,
                         result.invariance_queries.total()));

  // 2. Classification runs.
  const uint64_t granule_bits = (options.page_bytes - 1) & ~(options.granule_bytes - 1);
  const uint64_t measured_bits = granule_bits & ~result.invariant_bits;
  const int64_t available = int64_t{1} << std::popcount(measured_bits);
  const int64_t wanted = options.lines > 0 ? std::min(options.lines, available) : available;
  const int64_t lines = PlannedLines(options, wanted, oracle.max_group_size(), budget.remaining(), result);
  result.offsets = ChooseOffsets(measured_bits, lines, rng);
  result.whole_page = static_cast<int64_t>(result.offsets.size()) == available;
  std::vector<Address> addresses;
  for (uint64_t offset : result.offsets) addresses.push_back(pages.front() + offset);
  for (int run = 0; run < options.repetitions; ++run) {
    const double expected = run > 0 ? result.runs.front().seconds : 0;
    if (!budget.MayStart(fmt::format("classification run {}", run + 1), expected)) break;
    budget.Log(fmt::format("classification run {} of {} lines", run + 1, addresses.size()));
    result.runs.push_back(Classify(oracle, addresses, options, run));
    const ClassificationRun& done = result.runs.back();
    budget.Log(done.status.ok() ? fmt::format("  {} classes, {} measurements, {:.1f} s", done.class_count(),
                                              done.queries.total(), done.seconds)
                                : "  failed: " + done.status.message());
  }
  std::vector<const ClassificationRun*> good;
  for (const ClassificationRun& run : result.runs) {
    if (run.status.ok()) good.push_back(&run);
  }
  if (good.size() >= 2) {
    const std::vector<int64_t> second(good[1]->labels.begin(), good[1]->labels.end());
    result.stability = LabellingAgreement(good[0]->labels, second);
  }
  const ClassificationRun* reference = result.reference_run();
  if (reference == nullptr) {
    result.notes.push_back("no classification succeeded: nothing to validate, relate or model");
    result.seconds = budget.elapsed();
    return result;
  }

  // 3. Validation through loads.
  if (budget.MayStart("the validation")) {
    const auto start = Clock::now();
    result.validation.status = ValidateByReads(reader, result, *reference, options, result.validation);
    result.validation.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    budget.Log(fmt::format("validation: median ratio {:.2f}, control {:.2f}", result.validation.median_ratio,
                           result.validation.control_ratio));
  }

  // 4. Cross-page relation, 5. models.
  std::vector<int32_t> page_labels;
  if (result.whole_page) page_labels = WholePageLabels(result, *reference);
  RelatePages(oracle, pages, *reference, options, result.whole_page ? &page_labels : nullptr, result, budget);
  if (Status broken = OracleStatus(options); !broken.ok()) {
    result.notes.push_back("the oracle failed during the cross-page relation: " + broken.message());
  }
  if (result.whole_page) {
    std::optional<HashModel> swizzle;
    if (options.fit_swizzle && reference->class_count() >= 2) {
      swizzle =
          FitSwizzleModel(oracle, pages, page_labels, reference->class_count(), options, result, budget);
    }
    if (swizzle) {
      result.model = std::move(swizzle);
    } else {
      PageClassification page;
      page.base = pages.front();
      page.labels = page_labels;
      page.representatives = reference->representatives;
      result.model = PageTableModel(std::span<const PageClassification>(&page, 1), options.page_bytes,
                                    options.granule_bytes, true);
    }
  } else {
    result.notes.push_back(fmt::format(
        "{} of the page's {} measurable lines were classified: no page model (it needs all of them)",
        result.offsets.size(), available));
  }
  result.seconds = budget.elapsed();
  return result;
}

}  // namespace missile::probe
