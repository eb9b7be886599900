#include "pcie/transfer_scheduler.h"

#include <cassert>
#include <utility>

namespace missile::pcie {

Result<std::unique_ptr<TransferScheduler>> TransferScheduler::Create(const TransferConfig& config,
                                                                     Direction direction, CopyEngine& engine,
                                                                     const Clock& clock,
                                                                     HostAllocator* staging_allocator) {
  MISSILE_ASSIGN_OR_RETURN(CfsTransferPolicy policy, CfsTransferPolicy::Create(config));
  std::unique_ptr<StagingPool> staging;
  if (staging_allocator != nullptr) {
    // One buffer holds the largest chunk.
    MISSILE_ASSIGN_OR_RETURN(
        staging, StagingPool::Create(*staging_allocator, config.bulk_chunk_bytes, config.staging_buffers));
  }
  return std::unique_ptr<TransferScheduler>(
      new TransferScheduler(std::move(policy), direction, engine, clock, std::move(staging)));
}

TransferScheduler::TransferScheduler(CfsTransferPolicy policy, Direction direction, CopyEngine& engine,
                                     const Clock& clock, std::unique_ptr<StagingPool> staging)
    : direction_(direction),
      engine_(engine),
      clock_(clock),
      policy_(std::move(policy)),
      staging_(std::move(staging)) {
  // The policy never has more than max_in_flight_copies chunks out, so this many requests are all there will
  // be.
  const uint32_t slots = policy_.config().max_in_flight_copies;
  chunk_storage_.reserve(slots);
  free_chunks_.reserve(slots);
  for (uint32_t i = 0; i < slots; ++i) {
    chunk_storage_.push_back(std::make_unique<IssuedChunk>());
    free_chunks_.push_back(chunk_storage_.back().get());
  }
}

TransferScheduler::~TransferScheduler() {
  std::vector<TransferCallback> abandoned;
  {
    std::unique_lock lock(mutex_);
    shutting_down_ = true;
    drained_.wait(lock, [this] { return Drained(); });
    for (auto& [id, transfer] : transfers_) {
      if (transfer.on_done) abandoned.push_back(std::move(transfer.on_done));
    }
    transfers_.clear();
  }
  const Status status =
      Error(ErrorCode::kUnavailable, "the {} transfer scheduler shut down before the transfer finished",
            DirectionName(direction_));
  for (TransferCallback& on_done : abandoned) on_done(status);
}

Status TransferScheduler::AddTenant(TenantId tenant, const TenantParams& params) {
  std::lock_guard lock(mutex_);
  MISSILE_RETURN_IF_ERROR(policy_.AddTenant(tenant, params));
  metrics_.AddTenant(tenant);
  return Status::Ok();
}

Status TransferScheduler::RemoveTenant(TenantId tenant) {
  std::lock_guard lock(mutex_);
  MISSILE_RETURN_IF_ERROR(policy_.RemoveTenant(tenant));
  metrics_.RemoveTenant(tenant);
  return Status::Ok();
}

Result<TransferId> TransferScheduler::Submit(const TransferRequest& request, TransferCallback on_done) {
  if (request.bytes > 0 && (request.src == nullptr || request.dst == nullptr)) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: {}-byte {} transfer has a null {} pointer",
                 request.tenant, request.bytes, DirectionName(direction_),
                 request.src == nullptr ? "source" : "destination");
  }
  if (request.host_pageable && staging_ == nullptr) {
    return Error(ErrorCode::kFailedPrecondition,
                 "tenant {}: pageable host memory needs staging buffers, and this {} scheduler has none",
                 request.tenant, DirectionName(direction_));
  }
  TransferId id = 0;
  {
    std::lock_guard lock(mutex_);
    if (!policy_.HasTenant(request.tenant)) {
      return Error(ErrorCode::kNotFound, "unknown tenant {}: add it to the {} scheduler before submitting",
                   request.tenant, DirectionName(direction_));
    }
    const Nanos now = clock_.Now();
    id = next_transfer_id_++;
    if (request.bytes > 0) {
      MISSILE_RETURN_IF_ERROR(policy_.Enqueue(request.tenant, id, request.bytes, now));
      Transfer& transfer = transfers_[id];
      transfer.tenant = request.tenant;
      transfer.src = static_cast<const std::byte*>(request.src);
      transfer.dst = static_cast<std::byte*>(request.dst);
      transfer.host_pageable = request.host_pageable;
      transfer.submitted_at = now;
      transfer.on_done = std::move(on_done);
    }
    metrics_.OnSubmitted(request.tenant, now);
    if (request.bytes == 0) metrics_.OnTransferFinished(request.tenant, true, now, now);
  }
  if (request.bytes == 0) {
    if (on_done) on_done(Status::Ok());
    return id;
  }
  Pump();
  return id;
}

std::vector<TenantTransferStats> TransferScheduler::Metrics() const {
  std::lock_guard lock(mutex_);
  return metrics_.Snapshot(clock_.Now());
}

void TransferScheduler::Pump() {
  std::unique_lock lock(mutex_);
  // The thread already issuing re-reads the policy after every chunk, so it will act on what changed.
  if (pumping_) return;
  pumping_ = true;
  while (IssuedChunk* issued = TakeNextChunk(clock_.Now())) {
    lock.unlock();
    engine_.Issue(*issued, *this);
    lock.lock();
  }
  pumping_ = false;
  if (shutting_down_ && Drained()) drained_.notify_all();
}

TransferScheduler::IssuedChunk* TransferScheduler::TakeNextChunk(Nanos now) {
  if (shutting_down_) return nullptr;
  const std::optional<Chunk> next = policy_.PeekNextChunk(now);
  if (!next) return nullptr;
  Transfer& transfer = transfers_.at(next->transfer);
  std::byte* staging = nullptr;
  if (transfer.host_pageable) {
    staging = staging_->TryAcquire();
    // Every buffer rides with a staged chunk in flight; its completion releases one and issues again.
    if (staging == nullptr) return nullptr;
  }
  const Chunk chunk = *policy_.IssueNextChunk(now);
  assert(!free_chunks_.empty() && "more chunks in flight than max_in_flight_copies");
  IssuedChunk* issued = free_chunks_.back();
  free_chunks_.pop_back();
  issued->src = transfer.src + chunk.offset;
  issued->dst = transfer.dst + chunk.offset;
  issued->bytes = chunk.bytes;
  issued->direction = direction_;
  issued->staging = staging;
  issued->chunk = chunk;
  if (!transfer.started) {
    transfer.started = true;
    metrics_.OnFirstChunkIssued(chunk.tenant, now - transfer.submitted_at);
  }
  return issued;
}

void TransferScheduler::OnChunkCopied(ChunkCopy& copy, Status status) {
  IssuedChunk& issued = static_cast<IssuedChunk&>(copy);
  bool finished = false;
  Status outcome;
  TransferCallback on_done;
  {
    std::lock_guard lock(mutex_);
    ++completions_running_;
    const Nanos now = clock_.Now();
    const Chunk chunk = issued.chunk;
    if (issued.staging != nullptr) staging_->Release(issued.staging);
    free_chunks_.push_back(&issued);  // `issued` may be reused from here on
    Transfer& transfer = transfers_.at(chunk.transfer);
    if (status.ok()) {
      metrics_.OnChunkCompleted(chunk.tenant, chunk.bytes);
    } else if (transfer.status.ok()) {
      transfer.status = status.WithContext(
          fmt::format("{} transfer {} of tenant {}, bytes [{}, {})", DirectionName(direction_),
                      chunk.transfer, chunk.tenant, chunk.offset, chunk.offset + chunk.bytes));
    }
    const Result<bool> last = policy_.CompleteChunk(chunk, now);
    assert(last.ok() && "the engine completed a chunk that was not in flight");
    if (last.ok() && *last) {
      finished = true;
      outcome = transfer.status;
      on_done = std::move(transfer.on_done);
      metrics_.OnTransferFinished(chunk.tenant, outcome.ok(), transfer.submitted_at, now);
      transfers_.erase(chunk.transfer);
    }
  }
  // Refill the engine before running the callback, so the link does not wait on it.
  Pump();
  if (finished && on_done) on_done(outcome);
  std::lock_guard lock(mutex_);
  --completions_running_;
  if (shutting_down_ && Drained()) drained_.notify_all();
}

}  // namespace missile::pcie
