// The transfer scheduler's parameters, per direction, and each tenant's. docs/pcie.md derives every default
// from the link's measured numbers (55.3 GB/s, ~3 us of engine time per copy on the H200).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "pcie/nice_weight.h"
#include "pcie/transfer_types.h"

namespace missile::pcie {

struct TransferConfig {
  // Chunk size while latency-sensitive (LS) traffic is around: 512 KiB is ~9.5 us of link, so an LS copy
  // that arrives waits for at most two of them (~25 us with the per-copy overhead), which keeps its p99
  // within 1.5x of a raw solo copy at 64 KiB on the H200; the ~3 us per-copy overhead then leaves BE ~75% of
  // the link while LS traffic is around (docs/pcie.md, measured per chunk size).
  uint64_t chunk_bytes = 512 * kKiB;
  // Chunk size while no other LS tenant has been active for ls_quiet_period: 8 MiB brings the per-copy
  // overhead down to 2% (98% of the link for a lone tenant), at ~310 us of wait for the first LS copy.
  uint64_t bulk_chunk_bytes = 8 * kMiB;
  // How long an LS tenant counts as active after its last transfer. For Poisson LS arrivals at rate r, a
  // fraction exp(-r * period) of copies meets bulk chunks: 1 s keeps that under 1% down to 4.6 requests/s.
  Nanos ls_quiet_period = std::chrono::seconds(1);
  // Bytes in flight stay within in_flight_chunks of the current chunk size. Two keep a chunk queued behind
  // the running one, so the engine does not idle while the host reacts to a completion: measured with 2 MiB
  // chunks, one in flight ran at 80% of the link, two at 93%, as fast as queueing every chunk at once.
  uint32_t in_flight_chunks = 2;
  // Copies in flight, whatever their size: keeps the engine queue short when many small copies arrive.
  uint32_t max_in_flight_copies = 16;
  // How far below min_vruntime an LS tenant is placed when it wakes, in nice-0 bytes: one chunk, enough to
  // move a typical LS request's inputs (ResNet-50: 0.6 MB in fp32) ahead of bulk traffic in one go, while
  // idling can never bank more than ~38 us of link time.
  uint64_t wakeup_credit_bytes = 2 * kMiB;
  // Pinned staging buffers (each bulk_chunk_bytes) for copies whose host side is pageable.
  uint32_t staging_buffers = 4;

  Status Validate() const;
};

struct TenantParams {
  uint32_t weight = kNice0Weight;
  // LS tenants get the wake-up credit and win vruntime ties; their activity switches others to small chunks.
  bool latency_sensitive = false;

  static Result<TenantParams> FromNice(int nice, bool latency_sensitive);
};

// Weights above this could make a small chunk's charge round to nothing; Linux's largest is 88761.
inline constexpr uint32_t kMaxWeight = uint32_t{1} << 20;

}  // namespace missile::pcie
