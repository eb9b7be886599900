// Where one HTTP connection receives its request bodies.
//
// A body lands in one 64-byte aligned allocation, placed so that the bytes after its JSON header (the binary
// tensors of the Open Inference Protocol's extension, whose offset the Inference-Header-Content-Length header
// gives before the body arrives) start 64-byte aligned: the decoder can then use them in place as tensors
// (infer_codec.h) instead of copying them. The allocation is reused from one request to the next while
// nothing else holds it (a tensor of the last request still in use gets a fresh one), so a stream of
// same-size requests touches the same, already-mapped pages. The allocation comes from the server's
// BodyMemory (body_memory.h) when given: page-locked on the CUDA backend, so that the GPU copies binary
// input tensors straight out of the body.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "server/body_memory.h"

namespace missile::server {

class BodyBuffer {
 public:
  // Bytes kept between requests at most: a connection that once received a huge body gives it back after.
  static constexpr size_t kKeepBytes = BodyMemory::kLargestBlock;

  // `memory`, when given, must outlive this; without it, bodies get ordinary memory.
  explicit BodyBuffer(BodyMemory* memory = nullptr) : memory_(memory) {}

  // Room for a body of `size` bytes whose byte `aligned_at` should be 64-byte aligned (ignored when it is not
  // inside the body). Valid until the next Prepare; owner() keeps it alive beyond.
  std::span<std::byte> Prepare(size_t size, size_t aligned_at);

  // Points at the prepared body's first byte and shares the allocation (its copies keep it alive).
  const std::shared_ptr<std::byte[]>& owner() const { return body_; }

  // After a request: drops the body's reference, and the allocation when it is larger than kKeepBytes.
  void Finish();

  size_t capacity() const { return capacity_; }

 private:
  BodyMemory* const memory_;
  std::shared_ptr<std::byte[]> storage_;
  size_t capacity_ = 0;
  std::shared_ptr<std::byte[]> body_;
};

}  // namespace missile::server
