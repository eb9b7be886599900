// Where the HTTP server's request bodies live. On the CUDA backend, in page-locked memory: an executable then
// copies a binary input tensor to the GPU straight out of the body it arrived in (runtime/cuda/
// cuda_executable.h), where ordinary memory must first be copied into its pinned staging buffer (16.6 us
// for ResNet-50's 602 KB input on the H200 host, docs/results/data/server-codec-h200-2026-11-26.json).
//
// Page-locked memory is slow to get and to give back (cudaHostAlloc locks every page; cudaFreeHost may wait
// for the device, which would stall every tenant), so a block is never given back while the server runs:
// a body takes a block of the next power-of-two size from a free list, and the block returns to the list
// when its last holder drops it, for any connection to reuse. Past `pinned_limit` bytes in all, or when the
// allocator fails, bodies get ordinary memory: a burst of large bodies cannot lock the host's memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "pcie/host_allocator.h"

namespace missile::server {

class BodyMemory {
 public:
  // Blocks come in powers of two from kSmallestBlock to kLargestBlock; a larger body gets ordinary memory.
  static constexpr size_t kSmallestBlock = size_t{64} << 10;
  static constexpr size_t kLargestBlock = size_t{16} << 20;

  // `page_locked`: where the blocks come from; null for ordinary memory only.
  BodyMemory(std::unique_ptr<pcie::HostAllocator> page_locked, size_t pinned_limit);
  // Page-locked on the CUDA backend (when `pinned_limit` > 0), ordinary memory on the others.
  static std::unique_ptr<BodyMemory> ForBackend(const std::string& backend, size_t pinned_limit);
  // Free blocks are given back now; blocks still held, by their last holder.
  ~BodyMemory();
  BodyMemory(const BodyMemory&) = delete;
  BodyMemory& operator=(const BodyMemory&) = delete;

  // At least `bytes`, 64-byte aligned; never null (throws std::bad_alloc as ordinary allocation does).
  std::shared_ptr<std::byte[]> Allocate(size_t bytes);

  bool page_locked() const;
  size_t pinned_bytes() const;  // taken from the page-locked allocator so far, free or held
  size_t free_blocks() const;

 private:
  struct Pool;  // shared with the blocks' deleters: a block may outlive this
  std::shared_ptr<Pool> pool_;
};

}  // namespace missile::server
