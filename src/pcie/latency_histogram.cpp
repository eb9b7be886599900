#include "pcie/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace missile::pcie {

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < kSubBuckets) return value;
  const int exponent = std::bit_width(value) - 1;  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub_bucket = (value >> shift) & (kSubBuckets - 1);
  return kSubBuckets + static_cast<size_t>(shift) * kSubBuckets + sub_bucket;
}

uint64_t LatencyHistogram::BucketUpperBound(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const size_t shift = (bucket - kSubBuckets) / kSubBuckets;
  const uint64_t sub_bucket = (bucket - kSubBuckets) % kSubBuckets;
  // The bucket holds [(kSubBuckets + sub) << shift, (kSubBuckets + sub + 1) << shift).
  return (((kSubBuckets + sub_bucket + 1) << shift) - 1);
}

void LatencyHistogram::Record(Nanos value) {
  const uint64_t ns = static_cast<uint64_t>(std::max(value.count(), Nanos::rep{0}));
  ++counts_[BucketOf(ns)];
  ++count_;
  total_ += Nanos(ns);
  max_ = std::max(max_, Nanos(ns));
}

Nanos LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return Nanos(0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += counts_[bucket];
    if (seen >= rank) return std::min(Nanos(BucketUpperBound(bucket)), max_);
  }
  return max_;
}

}  // namespace missile::pcie
