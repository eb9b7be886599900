#include "device/cuda/stream.h"

#include <utility>

#include "device/cuda/cuda_status.h"

namespace missile::device::cuda {

Result<Stream> Stream::Create(int priority) {
  Stream stream;
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaStreamCreateWithPriority(&stream.stream_, cudaStreamNonBlocking, priority));
  return stream;
}

Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

Stream::~Stream() {
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Status Stream::Synchronize() const {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  return Status();
}

Result<Event> Event::Create(bool timing, bool blocking_sync) {
  Event event;
  const unsigned flags =
      (timing ? cudaEventDefault : cudaEventDisableTiming) | (blocking_sync ? cudaEventBlockingSync : 0u);
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventCreateWithFlags(&event.event_, flags));
  return event;
}

Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (event_ != nullptr) cudaEventDestroy(event_);
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

Event::~Event() {
  if (event_ != nullptr) cudaEventDestroy(event_);
}

Status Event::Record(cudaStream_t stream) const {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventRecord(event_, stream));
  return Status();
}

Status Event::Synchronize() const {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(event_));
  return Status();
}

Result<float> Event::ElapsedMs(const Event& start, const Event& end) {
  float ms = 0.0f;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaEventElapsedTime(&ms, start.event_, end.event_));
  return ms;
}

Result<LibraryHandles> LibraryHandles::Create(cudaStream_t stream) {
  LibraryHandles handles;
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreate(&handles.cudnn_));
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetStream(handles.cudnn_, stream));
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtCreate(&handles.cublaslt_));
  return handles;
}

LibraryHandles::LibraryHandles(LibraryHandles&& other) noexcept
    : cudnn_(std::exchange(other.cudnn_, nullptr)), cublaslt_(std::exchange(other.cublaslt_, nullptr)) {}

LibraryHandles& LibraryHandles::operator=(LibraryHandles&& other) noexcept {
  if (this != &other) {
    Release();
    cudnn_ = std::exchange(other.cudnn_, nullptr);
    cublaslt_ = std::exchange(other.cublaslt_, nullptr);
  }
  return *this;
}

LibraryHandles::~LibraryHandles() {
  Release();
}

void LibraryHandles::Release() {
  if (cudnn_ != nullptr) cudnnDestroy(cudnn_);
  if (cublaslt_ != nullptr) cublasLtDestroy(cublaslt_);
  cudnn_ = nullptr;
  cublaslt_ = nullptr;
}

}  // namespace missile::device::cuda
