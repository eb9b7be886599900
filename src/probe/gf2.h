// Linear algebra over GF(2) on vectors of up to 64 coordinates, one per address bit.
//
// A vector is a uint64_t whose bit i is coordinate i, so an address is its own vector and XOR is addition.
// The channel solver needs subspaces (the kernel of an XOR hash is one), their annihilators (the hash's row
// space is the annihilator of its kernel), and linear systems (a swizzle matrix from per-page constants).
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace missile::probe::gf2 {

using Vec = uint64_t;

inline int Parity(Vec v) {
  return std::popcount(v) & 1;
}
inline int Dot(Vec a, Vec b) {
  return Parity(a & b);
}
inline Vec Bit(int i) {
  return Vec{1} << i;
}

// The bits of `mask`, lowest first.
std::vector<int> BitPositions(Vec mask);

// Gathers the bits of `value` selected by `mask` into the low bits of the result, lowest first (x86 PEXT).
uint64_t CompressBits(uint64_t value, uint64_t mask);
// The inverse: scatters the low bits of `value` to the positions of `mask`, lowest first (x86 PDEP).
uint64_t ExpandBits(uint64_t value, uint64_t mask);

// A subspace of GF(2)^64, kept as a basis in reduced row echelon form: every basis vector has a distinct
// leading (highest) bit, and no other basis vector has that bit set. That form makes membership a single
// pass and makes two equal subspaces have identical bases, so comparing subspaces is comparing vectors.
class Subspace {
 public:
  Subspace() = default;
  explicit Subspace(std::span<const Vec> generators);

  // Adds v to the generators; returns whether the span grew.
  bool Insert(Vec v);
  // v with its component along the span removed: zero exactly when v is in the span.
  Vec Reduce(Vec v) const;
  bool Contains(Vec v) const { return Reduce(v) == 0; }

  int dim() const { return static_cast<int>(basis_.size()); }
  // The reduced basis, ordered by leading bit, highest first.
  const std::vector<Vec>& basis() const { return basis_; }

  // The vectors w with every bit inside `universe` and w·v = 0 for all v in this subspace. For the kernel K
  // of a hash over the bits `universe`, this is the hash's row space.
  Subspace Annihilator(Vec universe) const;

  // The span element selected by the bits of `coefficients` (bit j picks basis()[j]).
  Vec Combination(uint64_t coefficients) const;

  friend bool operator==(const Subspace& a, const Subspace& b) { return a.basis_ == b.basis_; }

 private:
  std::vector<Vec> basis_;
};

int Rank(std::span<const Vec> rows);

// One equation a·x = b.
struct Equation {
  Vec a = 0;
  bool b = false;
};

// A solution x of a system of equations over the unknown bits `universe`, with the free directions: every
// solution is x plus a vector of `free`'s span. nullopt when the equations contradict each other.
struct Solution {
  Vec x = 0;
  Subspace free;
};
std::optional<Solution> Solve(std::span<const Equation> equations, Vec universe);

}  // namespace missile::probe::gf2
