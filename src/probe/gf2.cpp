#include "probe/gf2.h"

#include <algorithm>

namespace missile::probe::gf2 {
namespace {

int LeadingBit(Vec v) {
  return 63 - std::countl_zero(v);
}

}  // namespace

std::vector<int> BitPositions(Vec mask) {
  std::vector<int> positions;
  for (; mask != 0; mask &= mask - 1) positions.push_back(std::countr_zero(mask));
  return positions;
}

uint64_t CompressBits(uint64_t value, uint64_t mask) {
  uint64_t result = 0;
  int out = 0;
  for (; mask != 0; mask &= mask - 1, ++out) {
    if (value & mask & (~mask + 1)) result |= uint64_t{1} << out;
  }
  return result;
}

uint64_t ExpandBits(uint64_t value, uint64_t mask) {
  uint64_t result = 0;
  for (int in = 0; mask != 0; mask &= mask - 1, ++in) {
    if ((value >> in) & 1) result |= mask & (~mask + 1);
  }
  return result;
}

Subspace::Subspace(std::span<const Vec> generators) {
  for (Vec v : generators) Insert(v);
}

Vec Subspace::Reduce(Vec v) const {
  // Each basis vector owns its leading bit alone, so the order of elimination does not matter.
  for (Vec b : basis_) {
    if ((v >> LeadingBit(b)) & 1) v ^= b;
  }
  return v;
}

bool Subspace::Insert(Vec v) {
  v = Reduce(v);
  if (v == 0) return false;
  const int lead = LeadingBit(v);
  for (Vec& b : basis_) {
    if ((b >> lead) & 1) b ^= v;
  }
  const auto position =
      std::find_if(basis_.begin(), basis_.end(), [&](Vec b) { return LeadingBit(b) < lead; });
  basis_.insert(position, v);
  return true;
}

Subspace Subspace::Annihilator(Vec universe) const {
  // w inside `universe` only sees the part of each vector inside it.
  std::vector<Vec> projected;
  for (Vec b : basis_) projected.push_back(b & universe);
  const Subspace within(projected);
  Vec pivots = 0;
  for (Vec b : within.basis_) pivots |= Bit(LeadingBit(b));
  // One solution per free coordinate f: set f, then each pivot whose row contains f cancels it.
  Subspace result;
  for (int f : BitPositions(universe & ~pivots)) {
    Vec w = Bit(f);
    for (Vec b : within.basis_) {
      if ((b >> f) & 1) w |= Bit(LeadingBit(b));
    }
    result.Insert(w);
  }
  return result;
}

Vec Subspace::Combination(uint64_t coefficients) const {
  Vec v = 0;
  for (int j : BitPositions(coefficients)) v ^= basis_[j];
  return v;
}

int Rank(std::span<const Vec> rows) {
  return Subspace(rows).dim();
}

std::optional<Solution> Solve(std::span<const Equation> equations, Vec universe) {
  // Gauss-Jordan on the augmented rows, kept reduced as in Subspace::Insert.
  std::vector<Equation> rows;
  for (Equation e : equations) {
    e.a &= universe;
    for (const Equation& r : rows) {
      if ((e.a >> LeadingBit(r.a)) & 1) {
        e.a ^= r.a;
        e.b ^= r.b;
      }
    }
    if (e.a == 0) {
      if (e.b) return std::nullopt;  // 0 = 1
      continue;
    }
    const int lead = LeadingBit(e.a);
    for (Equation& r : rows) {
      if ((r.a >> lead) & 1) {
        r.a ^= e.a;
        r.b ^= e.b;
      }
    }
    rows.push_back(e);
  }
  // With every free coordinate zero, each pivot coordinate equals its row's right-hand side.
  Solution solution;
  std::vector<Vec> coefficient_rows;
  for (const Equation& r : rows) {
    if (r.b) solution.x |= Bit(LeadingBit(r.a));
    coefficient_rows.push_back(r.a);
  }
  solution.free = Subspace(coefficient_rows).Annihilator(universe);
  return solution;
}

}  // namespace missile::probe::gf2
