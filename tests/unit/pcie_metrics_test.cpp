#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "pcie/latency_histogram.h"
#include "pcie/transfer_metrics.h"

namespace missile::pcie {
namespace {

using std::chrono::microseconds;

TEST(PcieLatencyHistogramTest, PercentilesWithinOneSixteenth) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> spread(10.0, 2.0);  // ~20 us median, a long tail
  LatencyHistogram histogram;
  std::vector<int64_t> values;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<int64_t>(spread(random)));
    histogram.Record(Nanos(values.back()));
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
    const size_t rank = static_cast<size_t>(std::ceil(q * values.size())) - 1;
    const double exact = static_cast<double>(values[rank]);
    const double estimate = static_cast<double>(histogram.Percentile(q).count());
    EXPECT_GE(estimate, exact) << "q=" << q;
    EXPECT_LE(estimate, exact * (1 + 1.0 / 16) + 1) << "q=" << q;
  }
  EXPECT_EQ(histogram.count(), 20000u);
  EXPECT_EQ(histogram.max(), Nanos(values.back()));
  EXPECT_EQ(histogram.Percentile(1.0), histogram.max());
}

TEST(PcieLatencyHistogramTest, SmallValuesAreExactAndEmptyIsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Percentile(0.5), Nanos(0));
  for (int v : {0, 3, 3, 9, 15}) histogram.Record(Nanos(v));
  EXPECT_EQ(histogram.Percentile(0.5), Nanos(3));
  EXPECT_EQ(histogram.Percentile(0.8), Nanos(9));
  EXPECT_EQ(histogram.total(), Nanos(30));
  histogram.Record(Nanos(-5));  // clocks do not run backwards; a negative wait counts as zero
  EXPECT_EQ(histogram.Percentile(0.0), Nanos(0));
}

TEST(PcieTransferMetricsTest, AccountsBytesWaitsAndActiveBandwidth) {
  TransferMetrics metrics;
  metrics.AddTenant(4);
  metrics.AddTenant(2);
  // Tenant 4: two overlapping transfers active over [0, 300) us, then one more over [1000, 1100) us.
  metrics.OnSubmitted(4, microseconds(0));
  metrics.OnSubmitted(4, microseconds(100));
  metrics.OnFirstChunkIssued(4, microseconds(0));
  metrics.OnFirstChunkIssued(4, microseconds(50));
  metrics.OnChunkCompleted(4, 1'000'000);
  metrics.OnChunkCompleted(4, 1'000'000);
  metrics.OnTransferFinished(4, true, microseconds(0), microseconds(200));
  metrics.OnChunkCompleted(4, 2'000'000);
  metrics.OnTransferFinished(4, false, microseconds(100), microseconds(300));
  metrics.OnSubmitted(4, microseconds(1000));

  const std::vector<TenantTransferStats> stats = metrics.Snapshot(microseconds(1100));
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].tenant, 2u) << "ordered by tenant";
  EXPECT_EQ(stats[0].bytes, 0u);
  EXPECT_EQ(stats[0].achieved_bytes_per_second, 0.0);
  const TenantTransferStats& t4 = stats[1];
  EXPECT_EQ(t4.bytes, 4'000'000u);
  EXPECT_EQ(t4.chunks, 3u);
  EXPECT_EQ(t4.transfers_completed, 1u);
  EXPECT_EQ(t4.transfers_failed, 1u);
  EXPECT_EQ(t4.queue_wait.count, 2u);
  EXPECT_EQ(t4.queue_wait.total, microseconds(50));
  EXPECT_EQ(t4.queue_wait.max, microseconds(50));
  EXPECT_EQ(t4.latency.count, 2u);
  EXPECT_EQ(t4.latency.max, microseconds(200));
  EXPECT_EQ(t4.active_time, microseconds(400)) << "300 us closed, 100 us still open";
  EXPECT_DOUBLE_EQ(t4.achieved_bytes_per_second, 1e10) << "4 MB in 400 us";

  metrics.RemoveTenant(2);
  EXPECT_EQ(metrics.Snapshot(microseconds(1100)).size(), 1u);
}

}  // namespace
}  // namespace missile::pcie
