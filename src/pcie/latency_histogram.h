// Waits per tenant, kept in fixed memory however long the server runs: a log-linear histogram (16 buckets per
// power of two of nanoseconds), so a percentile is within 1/16 (6.25%) of the exact value, plus the exact
// count, sum and maximum.
#pragma once

#include <array>
#include <cstdint>

#include "pcie/transfer_types.h"

namespace missile::pcie {

class LatencyHistogram {
 public:
  void Record(Nanos value);

  uint64_t count() const { return count_; }
  Nanos total() const { return total_; }
  Nanos max() const { return max_; }
  // The smallest bucket bound that at least a fraction q of the values do not exceed (capped by max()); zero
  // when empty. q in [0, 1].
  Nanos Percentile(double q) const;

 private:
  static constexpr int kSubBucketBits = 4;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  // Values below kSubBuckets get a bucket each; each higher power of two gets kSubBuckets.
  static constexpr size_t kBuckets = kSubBuckets + (64 - kSubBucketBits) * kSubBuckets;

  static size_t BucketOf(uint64_t value);
  static uint64_t BucketUpperBound(size_t bucket);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  Nanos total_{0};
  Nanos max_{0};
};

}  // namespace missile::pcie
