#include "server/body_memory.h"

#include <spdlog/spdlog.h>

#include <bit>
#include <map>
#include <mutex>
#include <vector>

#include "core/tensor.h"

#ifdef MISSILE_HAVE_CUDA
#include "pcie/cuda/pinned_host_allocator.h"
#endif

namespace missile::server {
namespace {
// Enough for a body: body_buffer.h places its binary part on a 64-byte boundary.
constexpr size_t kAlignment = pcie::kCopyAlignment;
}  // namespace

struct BodyMemory::Pool {
  std::unique_ptr<pcie::HostAllocator> allocator;
  size_t limit = 0;
  mutable std::mutex mutex;
  size_t taken = 0;                                       // bytes of blocks from the allocator
  bool exhausted = false;                                 // it failed once: do not ask again
  bool closed = false;                                    // the BodyMemory is gone: returned blocks are freed
  std::map<size_t, std::vector<std::byte*>> free_blocks;  // by block size

  void Return(std::byte* block, size_t size) {
    {
      std::lock_guard lock(mutex);
      if (!closed) {
        free_blocks[size].push_back(block);
        return;
      }
    }
    allocator->Free(block, size, kAlignment);
  }
};

BodyMemory::BodyMemory(std::unique_ptr<pcie::HostAllocator> page_locked, size_t pinned_limit)
    : pool_(std::make_shared<Pool>()) {
  pool_->allocator = std::move(page_locked);
  pool_->limit = pool_->allocator ? pinned_limit : 0;
}

std::unique_ptr<BodyMemory> BodyMemory::ForBackend(const std::string& backend, size_t pinned_limit) {
  std::unique_ptr<pcie::HostAllocator> page_locked;
#ifdef MISSILE_HAVE_CUDA
  if (backend == "cuda" && pinned_limit > 0) page_locked = std::make_unique<pcie::PinnedHostAllocator>();
#else
  (void)backend;
#endif
  return std::make_unique<BodyMemory>(std::move(page_locked), pinned_limit);
}

BodyMemory::~BodyMemory() {
  std::map<size_t, std::vector<std::byte*>> blocks;
  {
    std::lock_guard lock(pool_->mutex);
    pool_->closed = true;
    blocks.swap(pool_->free_blocks);
  }
  for (const auto& [size, list] : blocks) {
    for (std::byte* block : list) pool_->allocator->Free(block, size, kAlignment);
  }
}

std::shared_ptr<std::byte[]> BodyMemory::Allocate(size_t bytes) {
  const size_t size = std::bit_ceil(std::max(bytes, kSmallestBlock));
  if (pool_->limit > 0 && size <= kLargestBlock) {
    std::byte* block = nullptr;
    bool reserved = false;
    {
      std::lock_guard lock(pool_->mutex);
      if (auto it = pool_->free_blocks.find(size); it != pool_->free_blocks.end() && !it->second.empty()) {
        block = it->second.back();
        it->second.pop_back();
      } else if (!pool_->exhausted && pool_->taken + size <= pool_->limit) {
        pool_->taken += size;  // reserved, so that two connections cannot both pass the limit
        reserved = true;
      }
    }
    if (reserved) {
      // Outside the lock: page-locking takes up to milliseconds, and blocks come back meanwhile.
      auto allocated = pool_->allocator->Allocate(size, kAlignment);
      if (allocated.ok()) {
        block = *allocated;
      } else {
        spdlog::warn(
            "request bodies: page-locking {} bytes failed ({}); bodies get ordinary memory from now on", size,
            allocated.status().message());
        std::lock_guard lock(pool_->mutex);
        pool_->taken -= size;
        pool_->exhausted = true;
      }
    }
    if (block != nullptr) {
      return std::shared_ptr<std::byte[]>(block,
                                          [pool = pool_, size](std::byte* p) { pool->Return(p, size); });
    }
  }
  return AllocateUninitializedHostBytes(bytes);
}

bool BodyMemory::page_locked() const {
  return pool_->limit > 0;
}

size_t BodyMemory::pinned_bytes() const {
  std::lock_guard lock(pool_->mutex);
  return pool_->taken;
}

size_t BodyMemory::free_blocks() const {
  std::lock_guard lock(pool_->mutex);
  size_t count = 0;
  for (const auto& [size, list] : pool_->free_blocks) count += list.size();
  return count;
}

}  // namespace missile::server
