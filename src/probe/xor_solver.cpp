#include "probe/xor_solver.h"

#include <array>
#include <bit>
#include <random>
#include <vector>

#include "probe/gf2.h"

namespace missile::probe {
namespace {

class XorSolver {
 public:
  XorSolver(SameClassOracle& oracle, const XorSolverOptions& options)
      : prober_(oracle, options.votes), options_(options), rng_(options.seed) {}

  Status Discover();
  // One verification round; returns how many relations it corrected.
  Result<int64_t> Verify();
  XorHash Hash() const;
  Status Audit(const XorHash& hash, XorSolveResult& result);
  const QueryStats& stats() const { return prober_.stats(); }

 private:
  int rank() const { return static_cast<int>(basis_.size()); }
  Address RandomBase() { return options_.base ^ (rng_() & options_.address_bits); }
  // Sum of the basis bits selected by `coefficients` (bit t picks basis_[t]).
  uint64_t Combination(uint64_t coefficients) const;
  // The combination of the first `basis_bits` basis bits that e_bit's column equals, measured around base a.
  std::optional<uint64_t> FindColumn(int bit, Address a, int basis_bits);
  Status AddBasis(int bit);
  // Basis bit t turned out to be the sum of earlier basis bits `sum`: rewrites every relation without it.
  void RemoveBasis(int t, uint64_t sum);
  int BasisIndex(int bit) const;

  Prober prober_;
  const XorSolverOptions& options_;
  std::mt19937_64 rng_;
  std::vector<int> basis_;             // address bit of each basis vector
  std::array<uint64_t, 64> column_{};  // per address bit: its column as a combination of basis vectors
  std::vector<Address> candidates_;    // scratch for FindColumn
};

uint64_t XorSolver::Combination(uint64_t coefficients) const {
  uint64_t sum = 0;
  for (int t : gf2::BitPositions(coefficients)) sum |= gf2::Bit(basis_[t]);
  return sum;
}

std::optional<uint64_t> XorSolver::FindColumn(int bit, Address a, int basis_bits) {
  candidates_.clear();
  for (uint64_t s = 0; s < (uint64_t{1} << basis_bits); ++s) candidates_.push_back(a ^ Combination(s));
  const std::optional<size_t> match = prober_.FindMatch(a ^ gf2::Bit(bit), candidates_);
  if (!match) return std::nullopt;
  return uint64_t{*match};
}

Status XorSolver::AddBasis(int bit) {
  if (rank() >= options_.max_rank) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "more than 2^{} classes over the address bits {:#x}: the answers are not consistent with an XOR hash",
        options_.max_rank, options_.address_bits);
  }
  column_[bit] = gf2::Bit(rank());
  basis_.push_back(bit);
  return Status::Ok();
}

int XorSolver::BasisIndex(int bit) const {
  for (int t = 0; t < rank(); ++t) {
    if (basis_[t] == bit) return t;
  }
  return -1;
}

void XorSolver::RemoveBasis(int t, uint64_t sum) {
  const uint64_t below = gf2::Bit(t) - 1;
  for (int bit : gf2::BitPositions(options_.address_bits)) {
    uint64_t c = column_[bit];
    if ((c >> t) & 1) c = (c & ~gf2::Bit(t)) ^ sum;
    column_[bit] = (c & below) | ((c >> (t + 1)) << t);  // close the gap left by index t
  }
  basis_.erase(basis_.begin() + t);
}

Status XorSolver::Discover() {
  for (int bit : gf2::BitPositions(options_.address_bits)) {
    if (const auto column = FindColumn(bit, options_.base, rank())) {
      column_[bit] = *column;
    } else {
      MISSILE_RETURN_IF_ERROR(AddBasis(bit));
    }
  }
  return Status::Ok();
}

Result<int64_t> XorSolver::Verify() {
  int64_t corrected = 0;
  for (int bit : gf2::BitPositions(options_.address_bits)) {
    // A fresh base for every check: the relation must hold around any address, and a different pair of
    // granules makes its answers independent of the ones that produced the relation.
    const Address a = RandomBase();
    if (const int t = BasisIndex(bit); t >= 0) {
      if (const auto sum = FindColumn(bit, a, t)) {
        RemoveBasis(t, *sum);
        ++corrected;
      }
      continue;
    }
    if (prober_.VotedSame(a ^ gf2::Bit(bit), a ^ Combination(column_[bit]))) continue;
    ++corrected;
    if (const auto column = FindColumn(bit, a, rank())) {
      column_[bit] = *column;
    } else {
      MISSILE_RETURN_IF_ERROR(AddBasis(bit));
    }
  }
  return corrected;
}

XorHash XorSolver::Hash() const {
  // Row t of M holds the address bits whose column contains basis vector t.
  std::vector<uint64_t> rows(rank(), 0);
  for (int bit : gf2::BitPositions(options_.address_bits)) {
    for (int t : gf2::BitPositions(column_[bit])) rows[t] |= gf2::Bit(bit);
  }
  return XorHash{gf2::Subspace(rows).basis()};
}

Status XorSolver::Audit(const XorHash& hash, XorSolveResult& result) {
  const gf2::Subspace kernel = hash.RowSpace().Annihilator(options_.address_bits);
  int64_t same_asked = 0, same_denied = 0, different_asked = 0, different_confirmed = 0;
  for (int t = 0; t < options_.audit_pairs && kernel.dim() > 0; ++t) {
    uint64_t d = 0;
    while (d == 0) d = kernel.Combination(rng_() & (gf2::Bit(kernel.dim()) - 1));
    const Address a = RandomBase();
    ++same_asked;
    same_denied += !prober_.Ask(a, a ^ d);
  }
  for (int t = 0; t < options_.audit_pairs && !hash.rows.empty(); ++t) {
    uint64_t d = 0;
    while (kernel.Contains(d)) d = rng_() & options_.address_bits;
    const Address a = RandomBase();
    ++different_asked;
    different_confirmed += prober_.Ask(a, a ^ d);
  }
  result.same_pairs_answered_different = same_asked ? double(same_denied) / double(same_asked) : 0.0;
  result.different_pairs_answered_same =
      different_asked ? double(different_confirmed) / double(different_asked) : 0.0;
  if (result.same_pairs_answered_different > options_.max_noise ||
      result.different_pairs_answered_same > options_.max_noise) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "the answers are inconsistent with the XOR hash found ({} classes): {:.1f}% of pairs it puts in one "
        "class were answered 'different' and {:.1f}% of pairs it separates 'same' (accepted as noise: up "
        "to {:.1f}%); the oracle is too noisy or the mapping is not linear over bits {:#x}",
        hash.class_count(), 100 * result.same_pairs_answered_different,
        100 * result.different_pairs_answered_same, 100 * options_.max_noise, options_.address_bits);
  }
  return Status::Ok();
}

}  // namespace

Result<XorSolveResult> RecoverXorHash(SameClassOracle& oracle, const XorSolverOptions& options) {
  if (options.address_bits == 0) return Error(ErrorCode::kInvalidArgument, "no address bits to analyse");
  if (options.expected_classes < 0 ||
      (options.expected_classes > 0 && !std::has_single_bit(uint64_t(options.expected_classes)))) {
    return Error(ErrorCode::kInvalidArgument, "an XOR hash has a power-of-two class count, not {}",
                 options.expected_classes);
  }
  XorSolver solver(oracle, options);
  MISSILE_RETURN_IF_ERROR(solver.Discover());
  XorSolveResult result;
  for (int round = 0;; ++round) {
    MISSILE_ASSIGN_OR_RETURN(const int64_t corrected, solver.Verify());
    result.bits_repaired += corrected;
    if (corrected == 0) break;
    if (round + 1 == options.max_repair_rounds) {
      return Error(
          ErrorCode::kFailedPrecondition,
          "the XOR hash over bits {:#x} did not survive {} verification rounds: the answers are too noisy "
          "or the mapping is not linear",
          options.address_bits, options.max_repair_rounds);
    }
  }
  result.hash = solver.Hash();
  if (options.expected_classes > 0 && result.hash.class_count() != options.expected_classes) {
    return Error(ErrorCode::kFailedPrecondition, "found an XOR hash with {} classes where {} were expected",
                 result.hash.class_count(), options.expected_classes);
  }
  MISSILE_RETURN_IF_ERROR(solver.Audit(result.hash, result));
  result.queries = solver.stats();
  return result;
}

}  // namespace missile::probe
