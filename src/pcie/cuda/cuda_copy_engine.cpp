#include "pcie/cuda/cuda_copy_engine.h"

#include <cstring>
#include <utility>

#include "device/cuda/cuda_status.h"

namespace missile::pcie {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<CudaCopyEngine>> CudaCopyEngine::Create(Direction direction,
                                                               const CudaCopyEngineOptions& options) {
  if (options.max_in_flight == 0) {
    return Error(ErrorCode::kInvalidArgument, "a CUDA copy engine needs max_in_flight of at least 1");
  }
  if (options.idle_spin.count() < 0) {
    return Error(ErrorCode::kInvalidArgument, "a CUDA copy engine's idle_spin must not be negative");
  }
  int device = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create());
  std::vector<device::cuda::Event> events;
  events.reserve(options.max_in_flight);
  for (uint32_t i = 0; i < options.max_in_flight; ++i) {
    MISSILE_ASSIGN_OR_RETURN(device::cuda::Event event,
                             device::cuda::Event::Create(/*timing=*/false,
                                                         /*blocking_sync=*/options.wait == CopyWait::kBlock));
    events.push_back(std::move(event));
  }
  return std::unique_ptr<CudaCopyEngine>(
      new CudaCopyEngine(direction, options, device, std::move(stream), std::move(events)));
}

CudaCopyEngine::CudaCopyEngine(Direction direction, const CudaCopyEngineOptions& options, int device,
                               device::cuda::Stream stream, std::vector<device::cuda::Event> events)
    : direction_(direction),
      spin_(options.wait == CopyWait::kSpin),
      direct_issue_(options.direct_issue),
      idle_spin_(options.idle_spin),
      device_(device),
      stream_(std::move(stream)),
      events_(std::move(events)),
      // Sized for the scheduler's in-flight bound, so that they never grow in service.
      pending_(options.max_in_flight),
      in_flight_(options.max_in_flight) {
  free_events_.reserve(events_.size());
  for (const device::cuda::Event& event : events_) free_events_.push_back(event.get());
  submit_thread_ = std::thread([this] { SubmitLoop(); });
  completion_thread_ = std::thread([this] { CompletionLoop(); });
}

CudaCopyEngine::~CudaCopyEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.store(true, std::memory_order_release);
  submit_wake_.notify_all();
  completion_wake_.notify_all();
  // The submit thread leaves once it has given CUDA every request issued before; the completion thread once
  // every copy has been reported, including those its listeners issued meanwhile.
  submit_thread_.join();
  completion_thread_.join();
}

void CudaCopyEngine::Issue(ChunkCopy& copy, CopyListener& listener) {
  MarkActive();
  bool wake_completion = spin_;
  std::unique_lock lock(mutex_);
  if (submit_exited_) {
    // Only a listener running during shutdown can get here (after the destructor returns nothing may call
    // Issue): the completion thread is still up, and reports the copy failed after those before it.
    in_flight_.PushBack({&copy, &listener, nullptr, ShutdownStatus()});
    in_flight_count_.store(static_cast<uint32_t>(in_flight_.size()), std::memory_order_release);
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    wake_completion = true;
  } else if (CanIssueDirectly(copy)) {
    // Nothing is queued before it and nobody is at the stream: start it here rather than wake the submit
    // thread. stream_busy_ keeps every other issuer behind it, so stream order stays issue order.
    stream_busy_ = true;
    cudaEvent_t event = free_events_.back();
    free_events_.pop_back();
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    // The completion thread, if asleep, wakes while the copy is on the link rather than after it.
    completion_wake_.notify_one();
    Status status = StartOnCallingThread(copy, event);
    lock.lock();
    if (!status.ok()) {
      free_events_.push_back(event);  // nothing the GPU will signal was recorded on it
      event = nullptr;
    }
    in_flight_.PushBack({&copy, &listener, event, std::move(status)});
    in_flight_count_.store(static_cast<uint32_t>(in_flight_.size()), std::memory_order_release);
    stream_busy_ = false;
    wake_completion = true;
  } else {
    pending_.PushBack({&copy, &listener, /*rejected=*/stopping_});
    pending_count_.store(static_cast<uint32_t>(pending_.size()), std::memory_order_release);
  }
  lock.unlock();
  // Also after a direct issue: a request queued meanwhile may go now that the stream is free.
  submit_wake_.notify_one();
  // A spinning completion thread starts polling now, so that it is awake when the copy goes in flight.
  if (wake_completion) completion_wake_.notify_one();
}

bool CudaCopyEngine::CanIssueDirectly(const ChunkCopy& copy) const {
  return direct_issue_ && !stopping_ && !stream_busy_ && pending_.empty() && !free_events_.empty() &&
         !(direction_ == Direction::kHostToDevice && copy.staging != nullptr);
}

void CudaCopyEngine::MarkActive() {
  if (spin_ && idle_spin_.count() > 0) {
    linger_until_ns_.store(SteadyNowNs() + idle_spin_.count(), std::memory_order_relaxed);
  }
}

bool CudaCopyEngine::Lingering() const {
  return !stop_requested_.load(std::memory_order_acquire) &&
         SteadyNowNs() < linger_until_ns_.load(std::memory_order_relaxed);
}

void CudaCopyEngine::SubmitLoop() {
  const cudaError_t set = cudaSetDevice(device_);
  // Without its device this thread cannot issue anything: every copy then fails with this status.
  const Status device_status =
      set == cudaSuccess ? Status::Ok() : device::cuda::CudaError(set, "cudaSetDevice", __FILE__, __LINE__);
  std::unique_lock lock(mutex_);
  for (;;) {
    if (spin_ && pending_.empty() && (outstanding_.load(std::memory_order_acquire) > 0 || Lingering())) {
      // A copy is in flight, so its completion, and with it the listener's next Issue, is at most a chunk
      // away (or the engine was busy a moment ago): poll for the request rather than sleep, so that refilling
      // the stream costs no wake-up.
      lock.unlock();
      while (pending_count_.load(std::memory_order_acquire) == 0 &&
             (outstanding_.load(std::memory_order_acquire) > 0 || Lingering())) {
        std::this_thread::yield();
      }
      lock.lock();
    }
    // A direct issuer at the stream goes first: it took its copy before anything was queued.
    submit_wake_.wait(lock, [this] { return !stream_busy_ && (!pending_.empty() || stopping_); });
    if (pending_.empty()) break;  // stopping, and every request issued before has gone to CUDA
    const Request request = pending_.PopFront();
    pending_count_.store(static_cast<uint32_t>(pending_.size()), std::memory_order_release);
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    stream_busy_ = true;
    cudaEvent_t event = nullptr;
    if (!request.rejected && device_status.ok()) {
      // Every event is behind a copy on the GPU: the completion thread returns one as the link progresses.
      submit_wake_.wait(lock, [this] { return !free_events_.empty(); });
      event = free_events_.back();
      free_events_.pop_back();
    }
    lock.unlock();
    Status status = request.rejected      ? ShutdownStatus()
                    : !device_status.ok() ? device_status
                                          : Start(*request.copy, event);
    lock.lock();
    if (!status.ok() && event != nullptr) {
      free_events_.push_back(event);  // nothing was recorded on it that anyone waits for
      event = nullptr;
    }
    in_flight_.PushBack({request.copy, request.listener, event, std::move(status)});
    in_flight_count_.store(static_cast<uint32_t>(in_flight_.size()), std::memory_order_release);
    stream_busy_ = false;
    completion_wake_.notify_one();
  }
  submit_exited_ = true;
  completion_wake_.notify_one();
}

void CudaCopyEngine::CompletionLoop() {
  // A failure to select the device shows up as the event waits' errors below.
  (void)cudaSetDevice(device_);
  for (;;) {
    InFlight next;
    {
      std::unique_lock lock(mutex_);
      for (;;) {
        if (!in_flight_.empty()) break;
        if (submit_exited_) return;  // every copy has been reported
        if (spin_ && (!pending_.empty() || outstanding_.load(std::memory_order_acquire) > 0 || Lingering())) {
          // A copy is about to go in flight (or may soon, the engine having been busy a moment ago): be
          // polling when it does.
          lock.unlock();
          while (in_flight_count_.load(std::memory_order_acquire) == 0 &&
                 (pending_count_.load(std::memory_order_acquire) > 0 ||
                  outstanding_.load(std::memory_order_acquire) > 0 || Lingering())) {
            std::this_thread::yield();
          }
          lock.lock();
        } else {
          completion_wake_.wait(lock);
        }
      }
      next = in_flight_.PopFront();
      in_flight_count_.store(static_cast<uint32_t>(in_flight_.size()), std::memory_order_release);
    }
    Status status = std::move(next.status);
    if (next.event != nullptr) {
      status = Finish(*next.copy, next.event);
      {
        std::lock_guard lock(mutex_);
        free_events_.push_back(next.event);
      }
      submit_wake_.notify_one();
    }
    // The listener may issue the next copy from here; `next.copy` belongs to it again once this returns.
    next.listener->OnChunkCopied(*next.copy, std::move(status));
    MarkActive();
    outstanding_.fetch_sub(1, std::memory_order_release);
  }
}

Status CudaCopyEngine::Start(const ChunkCopy& copy, cudaEvent_t event) {
  if (copy.direction != direction_) {
    return Error(ErrorCode::kInvalidArgument, "a {}-byte {} copy was issued to the {} CUDA copy engine",
                 copy.bytes, DirectionName(copy.direction), DirectionName(direction_));
  }
  const bool to_device = direction_ == Direction::kHostToDevice;
  const void* src = copy.src;
  void* dst = copy.dst;
  if (copy.staging != nullptr) {
    if (to_device) {
      if (copy.bytes > 0) std::memcpy(copy.staging, copy.src, copy.bytes);
      src = copy.staging;
    } else {
      dst = copy.staging;
    }
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(
      dst, src, copy.bytes, to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, stream_.get()));
  const cudaError_t recorded = cudaEventRecord(event, stream_.get());
  if (recorded != cudaSuccess) {
    // The copy is queued but cannot be watched: wait for the whole stream, so that nobody reuses the copy's
    // buffers while the GPU may still be using them.
    (void)cudaStreamSynchronize(stream_.get());
    return device::cuda::CudaError(recorded, "cudaEventRecord", __FILE__, __LINE__);
  }
  return Status::Ok();
}

Status CudaCopyEngine::StartOnCallingThread(const ChunkCopy& copy, cudaEvent_t event) {
  // CUDA's current device is per thread: make the engine's current for the two calls, and give the caller
  // back its own.
  int caller_device = device_;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&caller_device));
  if (caller_device != device_) MISSILE_CUDA_RETURN_IF_ERROR(cudaSetDevice(device_));
  Status status = Start(copy, event);
  // A failed call also sets this thread's last-error state, which the caller's own later cudaGetLastError
  // checks (every kernel launch's) would then report as theirs: the failure is the copy's, reported through
  // the listener, so clear it here.
  if (!status.ok()) (void)cudaGetLastError();
  if (caller_device != device_) (void)cudaSetDevice(caller_device);
  return status;
}

Status CudaCopyEngine::Finish(const ChunkCopy& copy, cudaEvent_t event) {
  if (spin_) {
    cudaError_t state = cudaEventQuery(event);
    while (state == cudaErrorNotReady) {
      std::this_thread::yield();
      state = cudaEventQuery(event);
    }
    if (state != cudaSuccess) return device::cuda::CudaError(state, "cudaEventQuery", __FILE__, __LINE__);
  } else {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(event));
  }
  if (direction_ == Direction::kDeviceToHost && copy.staging != nullptr && copy.bytes > 0) {
    std::memcpy(copy.dst, copy.staging, copy.bytes);
  }
  return Status::Ok();
}

Status CudaCopyEngine::ShutdownStatus() const {
  return Error(ErrorCode::kUnavailable, "the {} CUDA copy engine is shutting down: the copy was not issued",
               DirectionName(direction_));
}

}  // namespace missile::pcie
