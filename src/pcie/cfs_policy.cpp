#include "pcie/cfs_policy.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace missile::pcie {
namespace {

// Rounded up, so that every chunk advances its tenant's vruntime: no weight makes copies free.
uint64_t VruntimeCharge(uint64_t bytes, uint32_t weight) {
  return (bytes * kNice0Weight + weight - 1) / weight;
}

}  // namespace

Result<CfsTransferPolicy> CfsTransferPolicy::Create(const TransferConfig& config) {
  MISSILE_RETURN_IF_ERROR(config.Validate());
  return CfsTransferPolicy(config);
}

Status CfsTransferPolicy::AddTenant(TenantId tenant, const TenantParams& params) {
  if (HasTenant(tenant)) return Error(ErrorCode::kInvalidArgument, "tenant {} is already registered", tenant);
  if (params.weight == 0 || params.weight > kMaxWeight) {
    return Error(ErrorCode::kInvalidArgument, "tenant {}: weight must be in [1, {}], got {}", tenant,
                 kMaxWeight, params.weight);
  }
  Tenant entry;
  entry.id = tenant;
  entry.weight = params.weight;
  entry.latency_sensitive = params.latency_sensitive;
  entry.vruntime = min_vruntime_;
  tenants_.push_back(std::move(entry));
  return Status::Ok();
}

Status CfsTransferPolicy::RemoveTenant(TenantId tenant) {
  const auto it =
      std::find_if(tenants_.begin(), tenants_.end(), [&](const Tenant& t) { return t.id == tenant; });
  if (it == tenants_.end()) return Error(ErrorCode::kNotFound, "unknown tenant {}", tenant);
  if (it->runnable() || it->in_flight_bytes > 0) {
    return Error(ErrorCode::kFailedPrecondition, "tenant {} still has transfers queued or in flight", tenant);
  }
  tenants_.erase(it);
  return Status::Ok();
}

Status CfsTransferPolicy::Enqueue(TenantId tenant, TransferId transfer, uint64_t bytes, Nanos now) {
  Tenant* entry = FindTenant(tenant);
  if (entry == nullptr) return Error(ErrorCode::kNotFound, "unknown tenant {}", tenant);
  if (bytes == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "transfer {} of tenant {} is empty: empty transfers never queue", transfer, tenant);
  }
  if (!unfinished_bytes_.emplace(transfer, bytes).second) {
    return Error(ErrorCode::kInvalidArgument, "transfer id {} is already in use", transfer);
  }
  if (!entry->runnable()) {
    const uint64_t credit = entry->latency_sensitive ? config_.wakeup_credit_bytes : 0;
    const uint64_t floor = min_vruntime_ > credit ? min_vruntime_ - credit : 0;
    entry->vruntime = std::max(entry->vruntime, floor);
  }
  entry->queue.push_back({transfer, bytes, 0});
  entry->last_active = now;
  return Status::Ok();
}

std::optional<Chunk> CfsTransferPolicy::PeekNextChunk(Nanos now) const {
  const Tenant* tenant = NextTenant();
  if (tenant == nullptr || in_flight_copies_ >= config_.max_in_flight_copies) return std::nullopt;
  const QueuedTransfer& head = tenant->queue.front();
  const uint64_t limit = ChunkLimitFor(*tenant, now);
  const uint64_t bytes = std::min(limit, head.bytes - head.issued);
  if (in_flight_bytes_ + bytes > config_.in_flight_chunks * limit) return std::nullopt;
  return Chunk{tenant->id, head.id, head.issued, bytes};
}

std::optional<Chunk> CfsTransferPolicy::IssueNextChunk(Nanos now) {
  const std::optional<Chunk> chunk = PeekNextChunk(now);
  if (!chunk) return std::nullopt;
  Tenant& tenant = *FindTenant(chunk->tenant);
  QueuedTransfer& head = tenant.queue.front();
  head.issued += chunk->bytes;
  if (head.issued == head.bytes) tenant.queue.pop_front();
  tenant.vruntime += VruntimeCharge(chunk->bytes, tenant.weight);
  tenant.in_flight_bytes += chunk->bytes;
  in_flight_bytes_ += chunk->bytes;
  ++in_flight_copies_;
  AdvanceMinVruntime(tenant.vruntime);
  return chunk;
}

Result<bool> CfsTransferPolicy::CompleteChunk(const Chunk& chunk, Nanos now) {
  const auto unfinished = unfinished_bytes_.find(chunk.transfer);
  Tenant* tenant = FindTenant(chunk.tenant);
  if (unfinished == unfinished_bytes_.end() || tenant == nullptr || chunk.bytes == 0 ||
      unfinished->second < chunk.bytes || tenant->in_flight_bytes < chunk.bytes) {
    return Error(ErrorCode::kFailedPrecondition,
                 "chunk [{}, +{}) of transfer {} (tenant {}) completed, but no such chunk is in flight",
                 chunk.offset, chunk.bytes, chunk.transfer, chunk.tenant);
  }
  tenant->in_flight_bytes -= chunk.bytes;
  tenant->last_active = now;
  in_flight_bytes_ -= chunk.bytes;
  --in_flight_copies_;
  unfinished->second -= chunk.bytes;
  if (unfinished->second > 0) return false;
  unfinished_bytes_.erase(unfinished);
  return true;
}

Result<uint64_t> CfsTransferPolicy::VruntimeOf(TenantId tenant) const {
  const Tenant* entry = FindTenant(tenant);
  if (entry == nullptr) return Error(ErrorCode::kNotFound, "unknown tenant {}", tenant);
  return entry->vruntime;
}

const CfsTransferPolicy::Tenant* CfsTransferPolicy::FindTenant(TenantId tenant) const {
  for (const Tenant& entry : tenants_) {
    if (entry.id == tenant) return &entry;
  }
  return nullptr;
}

CfsTransferPolicy::Tenant* CfsTransferPolicy::FindTenant(TenantId tenant) {
  return const_cast<Tenant*>(std::as_const(*this).FindTenant(tenant));
}

const CfsTransferPolicy::Tenant* CfsTransferPolicy::NextTenant() const {
  const Tenant* best = nullptr;
  const auto key = [](const Tenant& t) { return std::make_tuple(t.vruntime, !t.latency_sensitive, t.id); };
  for (const Tenant& tenant : tenants_) {
    if (tenant.runnable() && (best == nullptr || key(tenant) < key(*best))) best = &tenant;
  }
  return best;
}

uint64_t CfsTransferPolicy::ChunkLimitFor(const Tenant& tenant, Nanos now) const {
  for (const Tenant& other : tenants_) {
    if (&other == &tenant || !other.latency_sensitive) continue;
    const bool busy = other.runnable() || other.in_flight_bytes > 0;
    if (busy || (other.last_active && now - *other.last_active < config_.ls_quiet_period)) {
      return config_.chunk_bytes;
    }
  }
  return config_.bulk_chunk_bytes;
}

void CfsTransferPolicy::AdvanceMinVruntime(uint64_t served_vruntime) {
  uint64_t smallest = served_vruntime;
  for (const Tenant& tenant : tenants_) {
    if (tenant.runnable()) smallest = std::min(smallest, tenant.vruntime);
  }
  min_vruntime_ = std::max(min_vruntime_, smallest);
}

}  // namespace missile::pcie
