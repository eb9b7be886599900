#include "pcie/transfer_metrics.h"

namespace missile::pcie {
namespace {

WaitSummary Summarise(const LatencyHistogram& histogram) {
  return {histogram.count(),          histogram.total(),          histogram.Percentile(0.50),
          histogram.Percentile(0.90), histogram.Percentile(0.99), histogram.max()};
}

}  // namespace

void TransferMetrics::AddTenant(TenantId tenant) {
  tenants_.try_emplace(tenant);
}

void TransferMetrics::RemoveTenant(TenantId tenant) {
  tenants_.erase(tenant);
}

void TransferMetrics::OnSubmitted(TenantId tenant, Nanos now) {
  Tenant& entry = tenants_[tenant];
  if (entry.outstanding++ == 0) entry.active_since = now;
}

void TransferMetrics::OnFirstChunkIssued(TenantId tenant, Nanos wait) {
  tenants_[tenant].queue_wait.Record(wait);
}

void TransferMetrics::OnChunkCompleted(TenantId tenant, uint64_t bytes) {
  Tenant& entry = tenants_[tenant];
  entry.bytes += bytes;
  ++entry.chunks;
}

void TransferMetrics::OnTransferFinished(TenantId tenant, bool ok, Nanos submitted_at, Nanos now) {
  Tenant& entry = tenants_[tenant];
  ++(ok ? entry.transfers_completed : entry.transfers_failed);
  entry.latency.Record(now - submitted_at);
  if (--entry.outstanding == 0) entry.active_time += now - entry.active_since;
}

std::vector<TenantTransferStats> TransferMetrics::Snapshot(Nanos now) const {
  std::vector<TenantTransferStats> stats;
  stats.reserve(tenants_.size());
  for (const auto& [id, entry] : tenants_) {
    TenantTransferStats s;
    s.tenant = id;
    s.bytes = entry.bytes;
    s.chunks = entry.chunks;
    s.transfers_completed = entry.transfers_completed;
    s.transfers_failed = entry.transfers_failed;
    s.queue_wait = Summarise(entry.queue_wait);
    s.latency = Summarise(entry.latency);
    s.active_time = entry.active_time + (entry.outstanding > 0 ? now - entry.active_since : Nanos(0));
    if (s.active_time > Nanos(0)) {
      s.achieved_bytes_per_second =
          static_cast<double>(s.bytes) * 1e9 / static_cast<double>(s.active_time.count());
    }
    stats.push_back(s);
  }
  return stats;
}

}  // namespace missile::pcie
