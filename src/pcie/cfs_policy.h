// The transfer scheduler's decisions and nothing else: a completely fair scheduler (CFS, as in Linux) over
// the bytes tenants copy across one direction of the PCIe link. It never touches memory, threads or clocks:
// the caller serialises the calls and passes the time where it matters, so every decision replays exactly in
// tests and in the simulator.
//
// - Fair shares: each tenant has a weight and a virtual runtime (vruntime) counted in nice-0 bytes; issuing b
//   bytes advances it by b * 1024 / weight. The runnable tenant (one with bytes not yet issued) with the
//   smallest vruntime goes next, ties to LS tenants and then to the lower id, so backlogged tenants receive
//   bytes in proportion to their weights. Work-conserving: a lone runnable tenant is always eligible.
// - Chunks: transfers leave in chunks of chunk_bytes, or bulk_chunk_bytes while no other LS tenant is active.
// - In-flight bound: a chunk is issued only if the bytes in flight, itself included, stay within
//   in_flight_chunks of its chunk size (and the copies within max_in_flight_copies). Engines are FIFO, so a
//   copy that becomes next waits behind at most that many bytes.
// - Wake-up: a tenant whose queue goes from empty to non-empty is placed at max(own vruntime, min_vruntime -
//   credit), credit = wakeup_credit_bytes for LS tenants and 0 for BE ones: idling banks bounded credit.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "pcie/transfer_config.h"
#include "pcie/transfer_types.h"

namespace missile::pcie {

// A piece of a transfer: bytes [offset, offset + bytes) of transfer `transfer`.
struct Chunk {
  TenantId tenant = 0;
  TransferId transfer = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;

  bool operator==(const Chunk&) const = default;
};

class CfsTransferPolicy {
 public:
  static Result<CfsTransferPolicy> Create(const TransferConfig& config);

  // A new tenant starts at min_vruntime, neither ahead nor behind those already sharing the link.
  Status AddTenant(TenantId tenant, const TenantParams& params);
  // Refused while the tenant has bytes queued or in flight.
  Status RemoveTenant(TenantId tenant);
  bool HasTenant(TenantId tenant) const { return FindTenant(tenant) != nullptr; }

  // Queues `bytes` (> 0) for `tenant` behind its earlier transfers; `transfer` must be unused.
  Status Enqueue(TenantId tenant, TransferId transfer, uint64_t bytes, Nanos now);

  // The chunk that would be issued now, if any (none when nothing is runnable or the bounds are full).
  std::optional<Chunk> PeekNextChunk(Nanos now) const;
  // Issues the chunk PeekNextChunk(now) names: charges its tenant and counts it in flight.
  std::optional<Chunk> IssueNextChunk(Nanos now);
  // An issued chunk finished; true when it was the last outstanding piece of its transfer.
  Result<bool> CompleteChunk(const Chunk& chunk, Nanos now);

  uint64_t min_vruntime() const { return min_vruntime_; }
  Result<uint64_t> VruntimeOf(TenantId tenant) const;
  uint64_t in_flight_bytes() const { return in_flight_bytes_; }
  uint32_t in_flight_copies() const { return in_flight_copies_; }
  const TransferConfig& config() const { return config_; }

 private:
  struct QueuedTransfer {
    TransferId id = 0;
    uint64_t bytes = 0;
    uint64_t issued = 0;
  };
  struct Tenant {
    TenantId id = 0;
    uint32_t weight = 0;
    bool latency_sensitive = false;
    uint64_t vruntime = 0;
    std::deque<QueuedTransfer> queue;  // transfers with bytes not yet issued, oldest first
    uint64_t in_flight_bytes = 0;
    std::optional<Nanos> last_active;  // last enqueue or completion

    bool runnable() const { return !queue.empty(); }
  };

  explicit CfsTransferPolicy(const TransferConfig& config) : config_(config) {}

  const Tenant* FindTenant(TenantId tenant) const;
  Tenant* FindTenant(TenantId tenant);
  // The runnable tenant with the smallest (vruntime, BE-after-LS, id); tenants are few (tens), so a scan
  // costs less than keeping Linux's red-black tree ordered.
  const Tenant* NextTenant() const;
  // bulk_chunk_bytes unless an LS tenant other than `tenant` is busy or was active within ls_quiet_period.
  uint64_t ChunkLimitFor(const Tenant& tenant, Nanos now) const;
  // min_vruntime only moves forward, to the smallest vruntime among runnable tenants and the one just served.
  void AdvanceMinVruntime(uint64_t served_vruntime);

  TransferConfig config_;
  std::vector<Tenant> tenants_;
  std::unordered_map<TransferId, uint64_t> unfinished_bytes_;  // per transfer: bytes not yet completed
  uint64_t min_vruntime_ = 0;
  uint64_t in_flight_bytes_ = 0;
  uint32_t in_flight_copies_ = 0;
};

}  // namespace missile::pcie
