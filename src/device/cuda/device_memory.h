// Owned GPU and pinned-host allocations. Move-only; freed on destruction.
#pragma once

#include <cstddef>
#include <utility>

#include "core/status.h"

namespace missile::device::cuda {

// Where an OwnedBuffer's bytes come from; defined in device_memory.cpp.
struct DeviceMemory {  // cudaMalloc: 256-byte aligned, which every kernel and library call here relies on
  static Status Allocate(void** data, size_t bytes);
  static void Free(void* data);
};
struct PinnedMemory {  // cudaMallocHost: the only host memory a copy engine reads or writes asynchronously
  static Status Allocate(void** data, size_t bytes);
  static void Free(void* data);
  // Whether `bytes` bytes from `host` are page-locked memory CUDA knows (cudaMallocHost, cudaHostAlloc or
  // registered), which an asynchronous copy or a graph's copy node may read. Ordinary memory: false.
  static bool Holds(const void* host, size_t bytes);
};

template <typename Memory>
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  static Result<OwnedBuffer> Allocate(size_t bytes) {
    OwnedBuffer buffer;
    if (bytes > 0) {
      MISSILE_RETURN_IF_ERROR(Memory::Allocate(&buffer.data_, bytes));
      buffer.size_ = bytes;
    }
    // Explicit move: nvcc's front end does not apply the implicit move of a return to a converting
    // constructor.
    return Result<OwnedBuffer>(std::move(buffer));
  }
  OwnedBuffer(OwnedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  OwnedBuffer& operator=(OwnedBuffer&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~OwnedBuffer() { Release(); }

  void* data() const { return data_; }
  std::byte* bytes() const { return static_cast<std::byte*>(data_); }
  size_t size() const { return size_; }

 private:
  void Release() {
    if (data_ != nullptr) Memory::Free(data_);
    data_ = nullptr;
    size_ = 0;
  }
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Memory on the GPU.
using DeviceBuffer = OwnedBuffer<DeviceMemory>;
// Page-locked host memory: every transfer on the hot path is staged through it.
using PinnedBuffer = OwnedBuffer<PinnedMemory>;

}  // namespace missile::device::cuda
