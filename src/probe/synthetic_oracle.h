// A SameClassOracle with a known answer, for testing the solver on the CPU: a ground-truth class function
// (an XorHash, a SwizzleModHash, anything) whose answers are flipped independently with a fixed probability,
// from a seeded generator so that every run asks and hears the same.
#pragma once

#include <cstdint>
#include <functional>
#include <random>

#include "probe/hash_model.h"
#include "probe/oracle.h"

namespace missile::probe {

class SyntheticOracle final : public SameClassOracle {
 public:
  using ClassFunction = std::function<int64_t(Address)>;

  // Every answer is wrong with probability flip_probability, independently of all others. group_size > 1
  // makes SameAsAny answer for groups of up to that many granules (with the same noise).
  SyntheticOracle(ClassFunction class_of, double flip_probability, uint64_t seed, int group_size = 1);

  bool Same(Address a, Address b) override;
  int max_group_size() const override { return group_size_; }
  bool SameAsAny(Address a, std::span<const Address> group) override;

  // Measurements answered so far: what the same questions would cost on the GPU.
  int64_t pair_queries() const { return pair_queries_; }
  int64_t group_queries() const { return group_queries_; }

  int64_t TrueClass(Address a) const { return class_of_(a); }

 private:
  bool Noisy(bool truth) { return flip_(rng_) ? !truth : truth; }

  ClassFunction class_of_;
  std::bernoulli_distribution flip_;
  std::mt19937_64 rng_;
  int group_size_;
  int64_t pair_queries_ = 0;
  int64_t group_queries_ = 0;
};

// A random XOR hash with `output_bits` linearly independent rows over `address_bits` (2^output_bits classes).
XorHash RandomXorHash(int output_bits, uint64_t address_bits, uint64_t seed);

// A random "swizzle then modulo" hash: index = the bits of index_mask, XOR-ed in its low `swizzle_bits` bits
// with random linear functions of the address bits `swizzle_sources`, then taken mod `modulus`.
SwizzleModHash RandomSwizzleModHash(int64_t modulus, uint64_t index_mask, int swizzle_bits,
                                    uint64_t swizzle_sources, uint64_t seed);

// A stand-in for the H200 as shared/CHANNELS.md describes it: 94 classes over 256-byte granules, bit 9
// unused, every 2 MiB page spread evenly over all classes with a layout that differs from page to page. The
// index is bit 8 and bits 10..39; its 12 in-page bits are XOR-ed with random functions of the page-number
// bits 21..33.
SwizzleModHash H200LikeSwizzleModHash(uint64_t seed);

}  // namespace missile::probe
