// Seeded Poisson arrivals: exponential gaps from a 64-bit Mersenne Twister through the inverse CDF, so a seed
// gives the same sequence on every platform and standard library (std::exponential_distribution does not
// promise that).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace missile::sim {

// SplitMix64 (Steele et al.): spreads nearby seeds (1, 2, 3...) over the generator's state space.
inline uint64_t MixSeed(uint64_t seed) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class PoissonArrivals {
 public:
  // `rate_per_second` > 0.
  PoissonArrivals(double rate_per_second, uint64_t seed) : rate_(rate_per_second), rng_(MixSeed(seed)) {}

  // Nanoseconds until the next arrival.
  double NextGapNs() {
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // uniform in [0, 1)
    return -std::log1p(-u) / rate_ * 1e9;
  }

 private:
  double rate_;
  std::mt19937_64 rng_;
};

}  // namespace missile::sim
