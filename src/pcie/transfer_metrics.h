// Per-tenant accounting of one direction's transfers, read as a plain snapshot (the server will export it to
// Prometheus). Not thread-safe: the scheduler updates it under its lock.
#pragma once

#include <map>
#include <vector>

#include "pcie/latency_histogram.h"
#include "pcie/transfer_types.h"

namespace missile::pcie {

struct WaitSummary {
  uint64_t count = 0;
  Nanos total{0};
  Nanos p50{0};
  Nanos p90{0};
  Nanos p99{0};
  Nanos max{0};
};

struct TenantTransferStats {
  TenantId tenant = 0;
  uint64_t bytes = 0;   // copied by completed chunks
  uint64_t chunks = 0;  // completed chunks
  uint64_t transfers_completed = 0;
  uint64_t transfers_failed = 0;
  WaitSummary queue_wait;  // submit -> first chunk issued (empty transfers issue nothing and are not counted)
  WaitSummary latency;     // submit -> last chunk completed
  // Time with at least one transfer outstanding, and the bandwidth the tenant got meanwhile: what the link
  // gave this tenant while it wanted the link.
  Nanos active_time{0};
  double achieved_bytes_per_second = 0;
};

class TransferMetrics {
 public:
  void AddTenant(TenantId tenant);
  void RemoveTenant(TenantId tenant);

  void OnSubmitted(TenantId tenant, Nanos now);
  void OnFirstChunkIssued(TenantId tenant, Nanos wait);
  void OnChunkCompleted(TenantId tenant, uint64_t bytes);
  void OnTransferFinished(TenantId tenant, bool ok, Nanos submitted_at, Nanos now);

  // Ordered by tenant id; `now` closes the active periods still open.
  std::vector<TenantTransferStats> Snapshot(Nanos now) const;

 private:
  struct Tenant {
    uint64_t bytes = 0;
    uint64_t chunks = 0;
    uint64_t transfers_completed = 0;
    uint64_t transfers_failed = 0;
    LatencyHistogram queue_wait;
    LatencyHistogram latency;
    uint64_t outstanding = 0;
    Nanos active_since{0};
    Nanos active_time{0};
  };

  std::map<TenantId, Tenant> tenants_;
};

}  // namespace missile::pcie
