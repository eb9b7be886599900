// A POSIX shared-memory object (shm_open) mapped into this process: what the system shared-memory extension
// of the Open Inference Protocol moves tensors through. The server maps the objects its clients name
// (Open); a client such as `missile bench` makes its own (Create) and unlinks it when done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace missile::server {

class SharedMemoryMapping {
 public:
  // Maps bytes [offset, offset + size) of the existing object `key` ("/name") for reading and writing.
  // kNotFound when there is no such object; kInvalidArgument when the range is empty or lies past its end.
  static Result<std::shared_ptr<SharedMemoryMapping>> Open(const std::string& key, uint64_t offset,
                                                           uint64_t size);
  // Creates the object `key` (it must not exist) of `size` bytes, zero-filled and mapped whole; the object is
  // unlinked when the mapping is destroyed.
  static Result<std::shared_ptr<SharedMemoryMapping>> Create(const std::string& key, uint64_t size);
  ~SharedMemoryMapping();
  SharedMemoryMapping(const SharedMemoryMapping&) = delete;
  SharedMemoryMapping& operator=(const SharedMemoryMapping&) = delete;

  // The mapped range: bytes [offset, offset + size) of the object.
  std::span<std::byte> bytes() const { return {data_, size_}; }
  const std::string& key() const { return key_; }

 private:
  SharedMemoryMapping(std::string key, void* base, size_t mapped, std::byte* data, size_t size, bool owned)
      : key_(std::move(key)), base_(base), mapped_(mapped), data_(data), size_(size), owned_(owned) {}

  std::string key_;
  void* base_ = nullptr;  // what mmap returned (page-aligned, at or before data_)
  size_t mapped_ = 0;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false;  // created here: unlinked on destruction
};

// shm_open's rule for portable names: a '/', then 1-250 characters without another '/'.
Status CheckSharedMemoryKey(const std::string& key);

}  // namespace missile::server
