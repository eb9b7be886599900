// The transfer scheduler service for one direction of the link: the CFS policy deciding, a copy engine
// copying, a staging pool for pageable host memory, and per-tenant metrics. Every host-device copy a tenant
// makes (inputs, outputs, weight uploads) is submitted here whole; it leaves in chunks, at most the policy's
// in-flight bound at a time, and its callback runs once its last chunk has landed.
//
// Threads: Submit, AddTenant, RemoveTenant and Metrics may be called from any thread; completions may arrive
// on the engine's thread. One thread at a time issues (whichever finds the engine with room first), with the
// lock released while it calls the engine, so chunks reach the engine in the policy's order and a completion
// arriving meanwhile is picked up by the issuing thread. Chunk requests are recycled: issuing allocates
// nothing once the first chunks have been issued.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "pcie/cfs_policy.h"
#include "pcie/clock.h"
#include "pcie/copy_engine.h"
#include "pcie/host_allocator.h"
#include "pcie/staging_pool.h"
#include "pcie/transfer_config.h"
#include "pcie/transfer_metrics.h"

namespace missile::pcie {

struct TransferRequest {
  TenantId tenant = 0;
  const void* src = nullptr;  // may be null only when bytes == 0
  void* dst = nullptr;
  uint64_t bytes = 0;
  // The host side (src for host-to-device, dst for device-to-host) is pageable: stage it through the pool.
  bool host_pageable = false;
};

// Runs once per transfer with its outcome: on the engine's completion thread (possibly before Submit
// returns), inside Submit for an empty transfer, or in the destructor for one never issued. It must not
// block: it delays the next completion.
using TransferCallback = std::function<void(const Status&)>;

class TransferScheduler final : private CopyListener {
 public:
  // `engine` and `clock` must outlive the scheduler. Without a staging allocator, pageable requests are
  // refused.
  static Result<std::unique_ptr<TransferScheduler>> Create(const TransferConfig& config, Direction direction,
                                                           CopyEngine& engine, const Clock& clock,
                                                           HostAllocator* staging_allocator = nullptr);
  // Waits for the chunks already issued to complete, then fails the transfers still queued (kUnavailable).
  // With an engine whose completions need the destroying thread (the modelled engine), run it dry first.
  ~TransferScheduler();
  TransferScheduler(const TransferScheduler&) = delete;
  TransferScheduler& operator=(const TransferScheduler&) = delete;

  Status AddTenant(TenantId tenant, const TenantParams& params);
  // Refused while the tenant has transfers outstanding; its metrics go with it.
  Status RemoveTenant(TenantId tenant);

  // Queues a whole transfer and returns at once; the copy proceeds in the background.
  Result<TransferId> Submit(const TransferRequest& request, TransferCallback on_done = nullptr);

  std::vector<TenantTransferStats> Metrics() const;

 private:
  // One chunk's engine request; recycled through free_chunks_.
  struct IssuedChunk : ChunkCopy {
    Chunk chunk;
  };
  struct Transfer {
    TenantId tenant = 0;
    const std::byte* src = nullptr;
    std::byte* dst = nullptr;
    bool host_pageable = false;
    Nanos submitted_at{0};
    bool started = false;  // its first chunk has been issued
    Status status;         // the first chunk error, if any
    TransferCallback on_done;
  };

  TransferScheduler(CfsTransferPolicy policy, Direction direction, CopyEngine& engine, const Clock& clock,
                    std::unique_ptr<StagingPool> staging);

  void OnChunkCopied(ChunkCopy& copy, Status status) override;
  // Issues chunks while the policy has some ready, unless another thread is already doing so.
  void Pump();
  // The next chunk to issue, ready for the engine, or null when none may go now.
  IssuedChunk* TakeNextChunk(Nanos now);
  bool Drained() const { return policy_.in_flight_copies() == 0 && !pumping_ && completions_running_ == 0; }

  const Direction direction_;
  CopyEngine& engine_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable drained_;  // the destructor waits on it for in-flight work to finish
  CfsTransferPolicy policy_;
  std::unique_ptr<StagingPool> staging_;  // null without a staging allocator
  TransferMetrics metrics_;
  std::unordered_map<TransferId, Transfer> transfers_;  // submitted, not yet finished
  TransferId next_transfer_id_ = 1;
  std::vector<std::unique_ptr<IssuedChunk>> chunk_storage_;
  std::vector<IssuedChunk*> free_chunks_;
  bool pumping_ = false;
  int completions_running_ = 0;
  bool shutting_down_ = false;
};

}  // namespace missile::pcie
