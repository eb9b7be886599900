#include "probe/page_classifier.h"

#include <algorithm>
#include <bit>
#include <numeric>
#include <random>

#include "probe/gf2.h"

namespace missile::probe {
namespace {

// Address bits of a granule's offset within the page.
uint64_t GranuleBits(const PageProbeOptions& options) {
  return (options.page_bytes - 1) & ~(options.granule_bytes - 1);
}

uint64_t InvariantBits(Prober& prober, const PageProbeOptions& options) {
  std::mt19937_64 rng(options.classifier.seed ^ 0x9e3779b97f4a7c15ULL);
  std::uniform_int_distribution<uint64_t> granule(0, options.page_bytes / options.granule_bytes - 1);
  const int allowed_denials = static_cast<int>(options.invariance_samples * options.classifier.max_noise);
  uint64_t invariant = 0;
  for (int bit : gf2::BitPositions(GranuleBits(options))) {
    // Stops at the first denial too many, so a bit that matters costs about allowed_denials measurements.
    int denials = 0;
    for (int t = 0; t < options.invariance_samples && denials <= allowed_denials; ++t) {
      const Address a = options.page_base + granule(rng) * options.granule_bytes;
      denials += !prober.Ask(a, a ^ gf2::Bit(bit));
    }
    if (denials <= allowed_denials) invariant |= gf2::Bit(bit);
  }
  return invariant;
}

}  // namespace

uint64_t FindInvariantBits(SameClassOracle& oracle, const PageProbeOptions& options, QueryStats& queries) {
  Prober prober(oracle, options.classifier.votes);
  const uint64_t invariant = InvariantBits(prober, options);
  queries.pair_queries += prober.stats().pair_queries;
  queries.group_queries += prober.stats().group_queries;
  return invariant;
}

Result<PageClassification> ClassifyPage(SameClassOracle& oracle, const PageProbeOptions& options,
                                        std::span<const int64_t> predicted) {
  if (!std::has_single_bit(options.granule_bytes) || !std::has_single_bit(options.page_bytes) ||
      options.page_bytes < options.granule_bytes || options.page_base % options.page_bytes != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "page {:#x} of {} bytes in granules of {}: sizes must be powers of two and the base aligned",
                 options.page_base, options.page_bytes, options.granule_bytes);
  }
  const uint64_t granules = options.page_bytes / options.granule_bytes;
  if (!predicted.empty() && predicted.size() != granules) {
    return Error(ErrorCode::kInvalidArgument, "{} predicted classes for a page of {} granules",
                 predicted.size(), granules);
  }
  PageClassification page;
  page.base = options.page_base;
  QueryStats invariance;
  if (options.invariance_samples > 0) page.invariant_bits = FindInvariantBits(oracle, options, invariance);

  // Measure only the granules with every invariant bit clear; the others copy their class.
  const uint64_t measured_bits = GranuleBits(options) & ~page.invariant_bits;
  const uint64_t measured = uint64_t{1} << std::popcount(measured_bits);
  std::vector<Address> addresses(measured);
  std::vector<int64_t> guesses;
  for (uint64_t k = 0; k < measured; ++k) {
    const uint64_t offset = gf2::ExpandBits(k, measured_bits);
    addresses[k] = options.page_base + offset;
    if (!predicted.empty()) guesses.push_back(predicted[offset / options.granule_bytes]);
  }
  MISSILE_ASSIGN_OR_RETURN(Classification classified,
                           ClassifyGranules(oracle, addresses, options.classifier, guesses));

  page.labels.resize(granules);
  for (uint64_t i = 0; i < granules; ++i) {
    page.labels[i] = classified.labels[gf2::CompressBits(i * options.granule_bytes, measured_bits)];
  }
  page.representatives = std::move(classified.representatives);
  page.same_pairs_answered_different = classified.same_pairs_answered_different;
  page.different_pairs_answered_same = classified.different_pairs_answered_same;
  page.queries.pair_queries = invariance.pair_queries + classified.queries.pair_queries;
  page.queries.group_queries = classified.queries.group_queries;
  return page;
}

Status AlignPageLabels(SameClassOracle& oracle, const VoteOptions& votes, const PageClassification& reference,
                       PageClassification& page) {
  if (page.class_count() != reference.class_count()) {
    return Error(ErrorCode::kFailedPrecondition, "page {:#x} has {} classes, the reference page {:#x} has {}",
                 page.base, page.class_count(), reference.base, reference.class_count());
  }
  Prober prober(oracle, votes);
  // Reference classes not matched yet, so that the matching stays one-to-one and each search gets shorter.
  std::vector<int32_t> open(reference.class_count());
  std::iota(open.begin(), open.end(), 0);
  std::vector<int32_t> renumber(page.class_count());
  std::vector<Address> candidates;
  for (int32_t c = 0; c < page.class_count(); ++c) {
    candidates.clear();
    for (int32_t r : open) candidates.push_back(reference.representatives[r]);
    const std::optional<size_t> match = prober.FindMatch(page.representatives[c], candidates);
    if (!match) {
      return Error(ErrorCode::kFailedPrecondition, "class {} of page {:#x} matches no class of page {:#x}", c,
                   page.base, reference.base);
    }
    renumber[c] = open[*match];
    open.erase(open.begin() + static_cast<std::ptrdiff_t>(*match));
  }
  for (int32_t& label : page.labels) label = renumber[label];
  std::vector<Address> representatives(page.representatives.size());
  for (size_t c = 0; c < renumber.size(); ++c) representatives[renumber[c]] = page.representatives[c];
  page.representatives = std::move(representatives);
  page.queries.pair_queries += prober.stats().pair_queries;
  page.queries.group_queries += prober.stats().group_queries;
  return Status::Ok();
}

HashModel PageTableModel(std::span<const PageClassification> pages, uint64_t page_bytes,
                         uint64_t granule_bytes, bool labels_aligned) {
  HashModel model;
  model.kind = HashKind::kPageTable;
  model.granule_bytes = granule_bytes;
  model.page_bytes = page_bytes;
  model.labels_aligned_across_pages = labels_aligned;
  model.class_count = 1;
  for (const PageClassification& page : pages) {
    model.class_count = std::max(model.class_count, page.class_count());
    model.tables.push_back({page.base, page.labels});
  }
  std::sort(model.tables.begin(), model.tables.end(),
            [](const PageClassTable& a, const PageClassTable& b) { return a.base < b.base; });
  return model;
}

}  // namespace missile::probe
