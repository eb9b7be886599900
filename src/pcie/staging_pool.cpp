#include "pcie/staging_pool.h"

#include <algorithm>
#include <cassert>

namespace missile::pcie {

Result<std::unique_ptr<StagingPool>> StagingPool::Create(HostAllocator& allocator, size_t buffer_bytes,
                                                         size_t buffer_count) {
  if (buffer_bytes == 0 || buffer_count == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "a staging pool needs buffers of at least one byte, got {} x {}", buffer_count,
                 buffer_bytes);
  }
  std::unique_ptr<StagingPool> pool(new StagingPool(allocator, buffer_bytes));
  pool->buffers_.reserve(buffer_count);
  pool->free_.reserve(buffer_count);
  for (size_t i = 0; i < buffer_count; ++i) {
    // On failure the pool's destructor frees the buffers allocated so far.
    MISSILE_ASSIGN_OR_RETURN(std::byte * buffer, allocator.Allocate(buffer_bytes, kAlignment));
    pool->buffers_.push_back(buffer);
    pool->free_.push_back(buffer);
  }
  return pool;
}

StagingPool::~StagingPool() {
  assert(free_.size() == buffers_.size() && "staging buffers still in use");
  for (std::byte* buffer : buffers_) allocator_.Free(buffer, buffer_bytes_, kAlignment);
}

std::byte* StagingPool::TryAcquire() {
  if (free_.empty()) return nullptr;
  std::byte* buffer = free_.back();
  free_.pop_back();
  return buffer;
}

void StagingPool::Release(std::byte* buffer) {
  assert(std::find(buffers_.begin(), buffers_.end(), buffer) != buffers_.end() &&
         "not a buffer of this pool");
  assert(std::find(free_.begin(), free_.end(), buffer) == free_.end() && "staging buffer released twice");
  free_.push_back(buffer);
}

}  // namespace missile::pcie
