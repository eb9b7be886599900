#include "probe/swizzle_identify.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_set>
#include <vector>

#include "probe/gf2.h"

namespace missile::probe {
namespace {

// Below this (natural log relative to the best candidate) a candidate is dead: e^-40 ~ 4e-18.
constexpr double kNegligibleLogWeight = -40;
// Answers needed before the best candidate's contradiction rate is trusted to reject a page.
constexpr int64_t kMinimumEvidence = 24;

Status CheckPage(const SwizzleModFamily& family, Address page_base) {
  MISSILE_RETURN_IF_ERROR(Validate(family));
  if (page_base % family.page_bytes != 0) {
    return Error(ErrorCode::kInvalidArgument, "page base {:#x} is not a multiple of the page size {}",
                 page_base, family.page_bytes);
  }
  return Status::Ok();
}

// A random index v2 != v1 with v2 = v1 (mod C) below 2^w — a partner in v1's class — or nullopt.
std::optional<uint64_t> SameClassPartner(uint64_t v1, uint64_t modulus, int index_bits,
                                         std::mt19937_64& rng) {
  const int64_t below = static_cast<int64_t>(v1 / modulus);
  const int64_t above = static_cast<int64_t>((((uint64_t{1} << index_bits) - 1) - v1) / modulus);
  if (below + above == 0) return std::nullopt;
  int64_t step = std::uniform_int_distribution<int64_t>(-below, above - 1)(rng);
  if (step >= 0) ++step;  // skip 0
  return v1 + static_cast<uint64_t>(step * static_cast<int64_t>(modulus));
}

}  // namespace

Result<SwizzleIdentification> IdentifyPageSwizzle(SameClassOracle& oracle,
                                                  const SwizzleIdentifyOptions& options) {
  const SwizzleModFamily& family = options.family;
  MISSILE_RETURN_IF_ERROR(CheckPage(family, options.page_base));
  if (!(options.assumed_noise > 0 && options.assumed_noise < 0.5)) {
    return Error(ErrorCode::kInvalidArgument, "assumed noise {} must lie in (0, 0.5)", options.assumed_noise);
  }
  const int w = family.index_bits();
  const uint64_t modulus = static_cast<uint64_t>(family.modulus);
  const uint64_t index_values = uint64_t{1} << w;
  // The canonical constants: low z bits and the top bit clear (swizzle_fit.h says why the rest are
  // equivalent).
  const int z = std::countr_zero(modulus);
  std::vector<uint64_t> candidates;
  for (uint64_t k = 0; k < (uint64_t{1} << (w - 1 - z)); ++k) candidates.push_back(k << z);

  std::mt19937_64 rng(options.seed);
  Prober prober(oracle, VoteOptions{});
  auto address = [&](uint64_t index) {
    return options.page_base + gf2::ExpandBits(index, family.in_page_index_mask);
  };
  auto same = [&](uint64_t s, uint64_t g1, uint64_t g2) { return (g1 ^ s) % modulus == (g2 ^ s) % modulus; };

  // With independent flips, a candidate's likelihood depends only on how many answers it contradicts: each
  // one costs it a factor p / (1 - p) against the candidates that predicted the answer.
  const double log_odds = std::log((1 - options.assumed_noise) / options.assumed_noise);
  std::vector<int> contradicted(candidates.size(), 0);
  std::vector<double> weight(candidates.size());
  size_t best = 0;
  double posterior = 0;
  for (;;) {
    best = static_cast<size_t>(std::min_element(contradicted.begin(), contradicted.end()) -
                               contradicted.begin());
    double total = 0;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const double relative = -log_odds * (contradicted[k] - contradicted[best]);
      weight[k] = relative < kNegligibleLogWeight ? 0.0 : std::exp(relative);
      total += weight[k];
    }
    posterior = 1.0 / total;
    if (1.0 - posterior <= options.max_error) break;
    // Even the best candidate contradicting more answers than noise explains: the page is not in the family.
    const int64_t asked = prober.stats().total();
    if (asked >= kMinimumEvidence && contradicted[best] > options.max_noise * double(asked)) {
      return Error(
          ErrorCode::kFailedPrecondition,
          "page {:#x} does not fit (index XOR s) mod {}: the best constant {:#x} contradicts {} of {} "
          "answers",
          options.page_base, family.modulus, candidates[best], contradicted[best], asked);
    }
    if (asked >= options.max_queries) {
      return Error(ErrorCode::kFailedPrecondition,
                   "page {:#x}: no swizzle constant stands out after {} measurements (best {:#x} at {:.3f})",
                   options.page_base, asked, candidates[best], posterior);
    }
    // The most even split among pairs that some likely candidate puts in one class.
    std::discrete_distribution<size_t> likely(weight.begin(), weight.end());
    uint64_t ask_g1 = 0, ask_g2 = 0;
    double best_balance = 1.0;
    for (int q = 0; q < options.candidate_pairs; ++q) {
      const uint64_t s = candidates[likely(rng)];
      const uint64_t g1 = rng() & (index_values - 1);
      const std::optional<uint64_t> v2 = SameClassPartner(g1 ^ s, modulus, w, rng);
      if (!v2) continue;
      const uint64_t g2 = *v2 ^ s;
      double mass = 0;
      for (size_t k = 0; k < candidates.size(); ++k) {
        if (weight[k] > 0 && same(candidates[k], g1, g2)) mass += weight[k];
      }
      const double balance = std::abs(mass / total - 0.5);
      if (balance < best_balance) {
        best_balance = balance;
        ask_g1 = g1;
        ask_g2 = g2;
      }
    }
    const bool answer = prober.Ask(address(ask_g1), address(ask_g2));
    for (size_t k = 0; k < candidates.size(); ++k) {
      contradicted[k] += same(candidates[k], ask_g1, ask_g2) != answer;
    }
  }

  SwizzleIdentification result;
  result.xor_constant = candidates[best];
  result.posterior = posterior;
  int denied = 0;
  int asked = 0;
  while (asked < options.verify_pairs) {
    const uint64_t g1 = rng() & (index_values - 1);
    const std::optional<uint64_t> v2 = SameClassPartner(g1 ^ result.xor_constant, modulus, w, rng);
    if (!v2) continue;
    ++asked;
    denied += !prober.Ask(address(g1), address(*v2 ^ result.xor_constant));
  }
  result.verify_disagreement = double(denied) / double(std::max(asked, 1));
  result.queries = prober.stats();
  if (result.verify_disagreement > options.max_noise) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "page {:#x} does not fit (index XOR s) mod {}: {:.0f}% of pairs the best constant {:#x} puts in one "
        "class were answered 'different' (accepted as noise: up to {:.0f}%)",
        options.page_base, family.modulus, 100 * result.verify_disagreement, result.xor_constant,
        100 * options.max_noise);
  }
  return result;
}

Result<SwizzleAlignment> AlignSwizzlePage(SameClassOracle& oracle, const SwizzleModFamily& family,
                                          const SwizzlePage& reference, Address page_base,
                                          uint64_t xor_constant, const SwizzleAlignOptions& options) {
  MISSILE_RETURN_IF_ERROR(CheckPage(family, reference.base));
  MISSILE_RETURN_IF_ERROR(CheckPage(family, page_base));
  const uint64_t modulus = static_cast<uint64_t>(family.modulus);
  const uint64_t index_values = uint64_t{1} << family.index_bits();
  auto address = [&](Address base, uint64_t index) {
    return base + gf2::ExpandBits(index, family.in_page_index_mask);
  };

  // One granule of the reference page per class, from its model (every class occurs: Validate(family)).
  std::vector<Address> reference_granule(modulus);
  std::vector<bool> found(modulus, false);
  for (uint64_t index = 0; index < index_values; ++index) {
    const int64_t label = reference.ClassOfIndex(index, family.modulus);
    if (!found[label]) reference_granule[label] = address(reference.base, index);
    found[label] = true;
  }

  // Every way to number the page's classes within the family: an equivalent constant, a label offset, an
  // output XOR. Choices that number every granule alike are kept once, so that the true one can stand alone.
  std::vector<SwizzlePage> choices;
  std::unordered_set<uint64_t> numberings;
  for (uint64_t constant : family.Equivalents(xor_constant)) {
    for (uint64_t output_xor = 0; output_xor < (uint64_t{1} << std::countr_zero(modulus)); ++output_xor) {
      for (uint64_t offset = 0; offset < modulus; ++offset) {
        const SwizzlePage choice{page_base, constant, static_cast<int64_t>(offset), output_xor};
        uint64_t fingerprint = 0xcbf29ce484222325ULL;  // FNV-1a over the numbering of every index
        for (uint64_t index = 0; index < index_values; ++index) {
          fingerprint =
              (fingerprint ^ uint64_t(choice.ClassOfIndex(index, family.modulus))) * 0x100000001b3ULL;
        }
        if (numberings.insert(fingerprint).second) choices.push_back(choice);
      }
    }
  }

  std::vector<int> explained(choices.size(), 0);
  std::mt19937_64 rng(options.seed);
  Prober prober(oracle, options.votes);
  std::vector<int64_t> order;
  std::vector<Address> candidates;
  for (int g = 0; g < options.max_granules; ++g) {
    const uint64_t index = rng() & (index_values - 1);
    // Classes predicted by the best-supported choices first; the rest after.
    const int most = *std::max_element(explained.begin(), explained.end());
    std::vector<bool> listed(modulus, false);
    order.clear();
    for (size_t c = 0; c < choices.size() && most > 0; ++c) {
      if (explained[c] < most) continue;
      const int64_t label = choices[c].ClassOfIndex(index, family.modulus);
      if (!listed[label]) order.push_back(label);
      listed[label] = true;
    }
    for (uint64_t label = 0; label < modulus; ++label) {
      if (!listed[label]) order.push_back(static_cast<int64_t>(label));
    }
    candidates.clear();
    for (int64_t label : order) candidates.push_back(reference_granule[label]);
    const size_t predictions = static_cast<size_t>(std::count(listed.begin(), listed.end(), true));
    const std::optional<size_t> match = prober.FindMatch(address(page_base, index), candidates, predictions);
    if (!match) continue;
    for (size_t c = 0; c < choices.size(); ++c) {
      explained[c] += choices[c].ClassOfIndex(index, family.modulus) == order[*match];
    }
    const size_t best =
        static_cast<size_t>(std::max_element(explained.begin(), explained.end()) - explained.begin());
    const bool alone = std::count(explained.begin(), explained.end(), explained[best]) == 1;
    if (explained[best] >= options.agreeing_granules && alone) {
      return SwizzleAlignment{.page = choices[best], .queries = prober.stats()};
    }
  }
  return Error(ErrorCode::kFailedPrecondition,
               "page {:#x}: {} granules matched against page {:#x} leave no single numbering standing",
               page_base, options.max_granules, reference.base);
}

HashModel SwizzlePageModel(const SwizzleModFamily& family, std::vector<SwizzlePage> pages) {
  HashModel model;
  model.kind = HashKind::kPageSwizzleMod;
  model.granule_bytes = family.granule_bytes;
  model.class_count = family.modulus;
  model.page_bytes = family.page_bytes;
  model.in_page_index_mask = family.in_page_index_mask;
  std::sort(pages.begin(), pages.end(),
            [](const SwizzlePage& a, const SwizzlePage& b) { return a.base < b.base; });
  model.swizzle_pages = std::move(pages);
  return model;
}

}  // namespace missile::probe
