#include "server/body_buffer.h"

#include <atomic>

#include "core/tensor.h"

namespace missile::server {

namespace {
constexpr size_t kAlignment = 64;
}

std::span<std::byte> BodyBuffer::Prepare(size_t size, size_t aligned_at) {
  body_.reset();
  // Shifting the body by up to 63 bytes puts byte `aligned_at` on a 64-byte boundary of the aligned storage.
  const size_t shift = aligned_at < size ? (kAlignment - aligned_at % kAlignment) % kAlignment : 0;
  const size_t needed = size + kAlignment;
  // Reuse only what nobody else holds: a tensor of an earlier request may still refer to it.
  bool reusable = storage_ != nullptr && capacity_ >= needed && storage_.use_count() == 1;
  if (reusable) {
    // Pairs with the release in the other holders' shared_ptr destructors: their reads of the old body happen
    // before this request's writes.
    std::atomic_thread_fence(std::memory_order_acquire);
  } else {
    // Let go of the old storage first: from a pool, it can then serve this body again.
    storage_.reset();
    storage_ = memory_ != nullptr ? memory_->Allocate(needed) : AllocateUninitializedHostBytes(needed);
    capacity_ = needed;
  }
  body_ = std::shared_ptr<std::byte[]>(storage_, storage_.get() + shift);
  return {body_.get(), size};
}

void BodyBuffer::Finish() {
  body_.reset();
  if (capacity_ > kKeepBytes) {
    storage_.reset();
    capacity_ = 0;
  }
}

}  // namespace missile::server
