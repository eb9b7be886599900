// A fixed set of equal, aligned staging buffers. Copies whose host side is pageable go through them one
// chunk at a time, so a transfer of any size needs at most one buffer per chunk in flight. The pool never
// grows and never blocks: TryAcquire answers null when every buffer is taken, and the scheduler holds the
// staged chunk until a completion releases one. Not thread-safe: its scheduler calls it under its own lock.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "core/status.h"
#include "pcie/host_allocator.h"

namespace missile::pcie {

class StagingPool {
 public:
  static constexpr size_t kAlignment = kCopyAlignment;

  static Result<std::unique_ptr<StagingPool>> Create(HostAllocator& allocator, size_t buffer_bytes,
                                                     size_t buffer_count);
  // Every buffer must have been released.
  ~StagingPool();
  StagingPool(const StagingPool&) = delete;
  StagingPool& operator=(const StagingPool&) = delete;

  std::byte* TryAcquire();
  void Release(std::byte* buffer);

  size_t buffer_bytes() const { return buffer_bytes_; }
  size_t capacity() const { return buffers_.size(); }
  size_t available() const { return free_.size(); }

 private:
  StagingPool(HostAllocator& allocator, size_t buffer_bytes)
      : allocator_(allocator), buffer_bytes_(buffer_bytes) {}

  HostAllocator& allocator_;
  size_t buffer_bytes_;
  std::vector<std::byte*> buffers_;  // all of them, for freeing and for checking releases
  std::vector<std::byte*> free_;
};

}  // namespace missile::pcie
