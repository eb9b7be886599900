#include "pcie/transfer_config.h"

namespace missile::pcie {
namespace {

// Keeps bytes * weight arithmetic in 64 bits (vruntime charges are bytes * 1024).
constexpr uint64_t kMaxChunkBytes = kGiB;

}  // namespace

Status TransferConfig::Validate() const {
  if (chunk_bytes == 0 || chunk_bytes > kMaxChunkBytes) {
    return Error(ErrorCode::kInvalidArgument, "chunk_bytes must be in [1, {}], got {}", kMaxChunkBytes,
                 chunk_bytes);
  }
  if (bulk_chunk_bytes < chunk_bytes || bulk_chunk_bytes > kMaxChunkBytes) {
    return Error(ErrorCode::kInvalidArgument, "bulk_chunk_bytes must be in [chunk_bytes = {}, {}], got {}",
                 chunk_bytes, kMaxChunkBytes, bulk_chunk_bytes);
  }
  if (ls_quiet_period < Nanos::zero()) {
    return Error(ErrorCode::kInvalidArgument, "ls_quiet_period must not be negative");
  }
  if (in_flight_chunks == 0) return Error(ErrorCode::kInvalidArgument, "in_flight_chunks must be at least 1");
  if (max_in_flight_copies == 0) {
    return Error(ErrorCode::kInvalidArgument, "max_in_flight_copies must be at least 1");
  }
  if (staging_buffers == 0) return Error(ErrorCode::kInvalidArgument, "staging_buffers must be at least 1");
  return Status::Ok();
}

Result<TenantParams> TenantParams::FromNice(int nice, bool latency_sensitive) {
  MISSILE_ASSIGN_OR_RETURN(const uint32_t weight, WeightForNice(nice));
  return TenantParams{weight, latency_sensitive};
}

}  // namespace missile::pcie
