// Owned CUDA streams and events, and the per-stream library handles every kernel launch needs.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/status.h"

namespace missile::device::cuda {

class Stream {
 public:
  Stream() = default;
  // Non-blocking (does not synchronise with the legacy default stream). `priority` uses CUDA's numbering:
  // 0 is the least urgent, negative numbers more urgent (down to -5 on the H200).
  static Result<Stream> Create(int priority = 0);
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  ~Stream();

  cudaStream_t get() const { return stream_; }
  Status Synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  Event() = default;
  // `timing` events can measure elapsed time; others are cheaper and serve only ordering. A `blocking_sync`
  // event makes Synchronize() put the calling thread to sleep until it completes instead of spinning.
  static Result<Event> Create(bool timing = false, bool blocking_sync = false);
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  ~Event();

  cudaEvent_t get() const { return event_; }
  Status Record(cudaStream_t stream) const;
  Status Synchronize() const;
  // Milliseconds between two recorded, completed timing events.
  static Result<float> ElapsedMs(const Event& start, const Event& end);

 private:
  cudaEvent_t event_ = nullptr;
};

// cuDNN and cuBLASLt handles bound to one stream. A handle is not safe to share between streams that launch
// concurrently, so whoever owns a stream owns its handles.
class LibraryHandles {
 public:
  static Result<LibraryHandles> Create(cudaStream_t stream);
  LibraryHandles() = default;
  LibraryHandles(LibraryHandles&& other) noexcept;
  LibraryHandles& operator=(LibraryHandles&& other) noexcept;
  ~LibraryHandles();

  cudnnHandle_t cudnn() const { return cudnn_; }
  cublasLtHandle_t cublaslt() const { return cublaslt_; }

 private:
  void Release();
  cudnnHandle_t cudnn_ = nullptr;
  cublasLtHandle_t cublaslt_ = nullptr;
};

}  // namespace missile::device::cuda
