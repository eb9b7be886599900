// The copy engine on the GPU: every copy of one direction, whichever tenant it belongs to, goes onto ONE CUDA
// stream, first in first out. On the H200 a copy on a second stream did not queue behind the two chunks the
// scheduler keeps in flight: it waited 24-55 ms for the hardware to switch channels (docs/pcie.md). One
// stream makes the hardware queue the single FIFO that the scheduler's in-flight bound reasons about.
//
// Two threads per engine, so that Issue() only queues and returns (the scheduler calls it from inside
// OnChunkCopied, on this engine's completion thread):
// - the submit thread takes requests in issue order, copies a staged host-to-device chunk from pageable
// memory
//   into its pinned staging buffer, calls cudaMemcpyAsync and records one of a fixed pool of events behind
//   it;
// - the completion thread waits for those events in the same order, copies a staged device-to-host chunk from
//   its staging buffer to pageable memory, and calls the listener. Never a cudaLaunchHostFunc callback: the
//   listener issues the next copy, and a host function must not call CUDA.
// Failures (a CUDA error, a copy of the wrong direction) reach the listener as the copy's Status, in order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "device/cuda/stream.h"
#include "pcie/copy_engine.h"
#include "pcie/ring_queue.h"

namespace missile::pcie {

// How the engine's threads wait while copies are in flight.
enum class CopyWait {
  // Poll (cudaEventQuery, and the request queue), yielding between polls: completions are seen within a
  // microsecond or two and the next chunk goes out without a thread wake-up, at the price of up to two busy
  // cores while the link is busy. The threads sleep whenever the engine is idle. A 2 MiB chunk is ~38 us of
  // link, which a sleeping thread's wake-up can eat a good part of.
  kSpin,
  // Sleep: blocking-sync events and condition variables only. Costs no CPU; each completion and each refill
  // pays a thread wake-up.
  kBlock,
};

struct CudaCopyEngineOptions {
  // Copies given to CUDA and not yet reported, at most: the size of the event pool, created up front. The
  // scheduler keeps max_in_flight_copies (16 by default) out; past this bound the submit thread (never Issue)
  // waits for a completion.
  uint32_t max_in_flight = 64;
  CopyWait wait = CopyWait::kSpin;
};

class CudaCopyEngine final : public CopyEngine {
 public:
  // An engine for `direction` on the current CUDA device: its stream, events and threads.
  static Result<std::unique_ptr<CudaCopyEngine>> Create(Direction direction,
                                                        const CudaCopyEngineOptions& options = {});
  // Completes every copy issued before it was called (waiting for the GPU), then stops the threads. Once it
  // has begun only listeners (on the completion thread) may call Issue, and those copies fail with
  // kUnavailable; a scheduler over this engine must therefore be destroyed first.
  ~CudaCopyEngine() override;
  CudaCopyEngine(const CudaCopyEngine&) = delete;
  CudaCopyEngine& operator=(const CudaCopyEngine&) = delete;

  // Queues the copy and returns; safe from any thread, including a listener's callback. `copy.src`/`dst`
  // on the host side must be pinned unless `copy.staging` (pinned, at least `bytes` long) is set.
  void Issue(ChunkCopy& copy, CopyListener& listener) override;

  Direction direction() const { return direction_; }

 private:
  // Issued, not yet given to CUDA.
  struct Request {
    ChunkCopy* copy = nullptr;
    CopyListener* listener = nullptr;
    bool rejected = false;  // issued while the engine shuts down
  };
  // Given to CUDA (or failed on the way), not yet reported.
  struct InFlight {
    ChunkCopy* copy = nullptr;
    CopyListener* listener = nullptr;
    cudaEvent_t event = nullptr;  // recorded behind the copy; null when the copy never reached the GPU
    Status status;                // the failure on the way, if any
  };

  CudaCopyEngine(Direction direction, const CudaCopyEngineOptions& options, int device,
                 device::cuda::Stream stream, std::vector<device::cuda::Event> events);

  void SubmitLoop();
  void CompletionLoop();
  // On the submit thread: the host-side staging copy, cudaMemcpyAsync, and the event behind it.
  Status Start(const ChunkCopy& copy, cudaEvent_t event);
  // On the completion thread: waits for the event, then the staging copy back to pageable memory.
  Status Finish(const ChunkCopy& copy, cudaEvent_t event);
  Status ShutdownStatus() const;

  const Direction direction_;
  const bool spin_;
  const int device_;  // the threads make it current: CUDA's current device is per thread
  device::cuda::Stream stream_;
  std::vector<device::cuda::Event> events_;  // the pool; owned here, lent out through free_events_

  std::mutex mutex_;
  std::condition_variable submit_wake_;      // a request arrived, an event came back, or shutdown began
  std::condition_variable completion_wake_;  // a copy went in flight (or, spinning, a request arrived)
  RingQueue<Request> pending_;
  RingQueue<InFlight> in_flight_;
  std::vector<cudaEvent_t> free_events_;
  bool stopping_ = false;       // the destructor has begun
  bool submit_exited_ = false;  // later requests go straight to in_flight_, failed
  // Read without the lock by the spinning threads; written under it (outstanding_ is decremented by the
  // completion thread alone, after the listener returns).
  std::atomic<uint32_t> pending_count_ = 0;    // pending_.size()
  std::atomic<uint32_t> in_flight_count_ = 0;  // in_flight_.size()
  std::atomic<uint32_t> outstanding_ = 0;      // taken from pending_ and not yet reported

  std::thread submit_thread_;  // last: they start once everything they use exists
  std::thread completion_thread_;
};

}  // namespace missile::pcie
