#include "probe/synthetic_oracle.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "probe/gf2.h"

namespace missile::probe {

SyntheticOracle::SyntheticOracle(ClassFunction class_of, double flip_probability, uint64_t seed,
                                 int group_size)
    : class_of_(std::move(class_of)), flip_(flip_probability), rng_(seed), group_size_(group_size) {}

bool SyntheticOracle::Same(Address a, Address b) {
  ++pair_queries_;
  return Noisy(class_of_(a) == class_of_(b));
}

bool SyntheticOracle::SameAsAny(Address a, std::span<const Address> group) {
  assert(!group.empty() && static_cast<int>(group.size()) <= group_size_);
  if (group.size() == 1) return Same(a, group.front());
  ++group_queries_;
  const int64_t target = class_of_(a);
  return Noisy(std::any_of(group.begin(), group.end(), [&](Address g) { return class_of_(g) == target; }));
}

XorHash RandomXorHash(int output_bits, uint64_t address_bits, uint64_t seed) {
  std::mt19937_64 rng(seed);
  XorHash hash;
  gf2::Subspace span;
  while (static_cast<int>(hash.rows.size()) < output_bits) {
    const uint64_t row = rng() & address_bits;
    if (span.Insert(row)) hash.rows.push_back(row);
  }
  return hash;
}

SwizzleModHash RandomSwizzleModHash(int64_t modulus, uint64_t index_mask, int swizzle_bits,
                                    uint64_t swizzle_sources, uint64_t seed) {
  std::mt19937_64 rng(seed);
  SwizzleModHash hash;
  hash.index_mask = index_mask;
  hash.modulus = modulus;
  for (int j = 0; j < swizzle_bits; ++j) hash.swizzle_rows.push_back(rng() & swizzle_sources);
  return hash;
}

SwizzleModHash H200LikeSwizzleModHash(uint64_t seed) {
  const uint64_t index_mask = 0xfffffffc00 | 0x100;
  const uint64_t page_number_bits = ((uint64_t{1} << 34) - 1) & ~((uint64_t{1} << 21) - 1);
  return RandomSwizzleModHash(94, index_mask, 12, page_number_bits, seed);
}

}  // namespace missile::probe
