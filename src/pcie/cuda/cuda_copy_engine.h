// The copy engine on the GPU: every copy of one direction, whichever tenant it belongs to, goes onto ONE CUDA
// stream, first in first out. On the H200 a copy on a second stream did not queue behind the two chunks the
// scheduler keeps in flight: it waited 24-55 ms for the hardware to switch channels (docs/pcie.md). One
// stream makes the hardware queue the single FIFO that the scheduler's in-flight bound reasons about.
//
// Two threads per engine, so that Issue() never waits for the GPU (the scheduler calls it from inside
// OnChunkCopied, on this engine's completion thread):
// - the submit thread takes requests in issue order, copies a staged host-to-device chunk from pageable
//   memory into its pinned staging buffer, calls cudaMemcpyAsync and records one of a fixed pool of events
//   behind it. A copy issued while the stream is idle skips it: the issuing thread makes those two CUDA calls
//   itself (a few microseconds), so an LS copy into an idle engine pays no thread wake-up before it starts;
// - the completion thread waits for those events in the same order, copies a staged device-to-host chunk from
//   its staging buffer to pageable memory, and calls the listener. Never a cudaLaunchHostFunc callback: the
//   listener issues the next copy, and a host function must not call CUDA.
// Failures (a CUDA error, a copy of the wrong direction) reach the listener as the copy's Status, in order.
#pragma once

#include <atomic>
#include <chrono>
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
  // kSpin only: the threads keep polling this long after the engine's last activity before they sleep, so
  // that a copy issued soon after an idle spell is seen complete without a thread wake-up (on the H200 an
  // idle engine's wake-up put the scheduler's solo LS p99 at 236-335 us against raw CUDA's 35 us). Costs up
  // to two busy cores per direction for this long after each burst. Zero: sleep as soon as idle.
  std::chrono::microseconds idle_spin{2000};
  // A copy issued while no other is being started and none waits goes to CUDA on the issuing thread
  // (cudaMemcpyAsync and cudaEventRecord, after making this engine's device current for the call) instead
  // of through the submit thread. Never for staged host-to-device copies: the pageable memcpy stays off the
  // issuing thread. Off: every copy goes through the submit thread (the first design; for comparison).
  bool direct_issue = true;
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

  // Queues the copy (or, into an idle stream, gives it to CUDA at once) and returns without waiting for the
  // GPU; safe from any thread, including a listener's callback. `copy.src`/`dst` on the host side must be
  // pinned unless `copy.staging` (pinned, at least `bytes` long) is set.
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
  // Start() on a thread of the caller's (direct issue), with this engine's device current meanwhile.
  Status StartOnCallingThread(const ChunkCopy& copy, cudaEvent_t event);
  // Whether Issue may start `copy` on the calling thread now; under mutex_.
  bool CanIssueDirectly(const ChunkCopy& copy) const;
  // Marks the engine active now: the spinning threads keep polling until idle_spin after the last mark.
  void MarkActive();
  bool Lingering() const;
  // On the completion thread: waits for the event, then the staging copy back to pageable memory.
  Status Finish(const ChunkCopy& copy, cudaEvent_t event);
  Status ShutdownStatus() const;

  const Direction direction_;
  const bool spin_;
  const bool direct_issue_;
  const std::chrono::nanoseconds idle_spin_;
  const int device_;  // the threads make it current: CUDA's current device is per thread
  device::cuda::Stream stream_;
  std::vector<device::cuda::Event> events_;  // the pool; owned here, lent out through free_events_

  std::mutex mutex_;
  std::condition_variable submit_wake_;      // a request arrived, an event came back, or shutdown began
  std::condition_variable completion_wake_;  // a copy went in flight (or, spinning, a request arrived)
  RingQueue<Request> pending_;
  RingQueue<InFlight> in_flight_;
  std::vector<cudaEvent_t> free_events_;
  bool stopping_ = false;  // the destructor has begun
  // A thread (the submit thread, or a direct issuer) is giving a copy to CUDA: the stream's order is the
  // order of in_flight_, so only one thread at a time may be between taking a copy and queueing it there.
  bool stream_busy_ = false;
  bool submit_exited_ = false;  // later requests go straight to in_flight_, failed
  // Read without the lock by the spinning threads; written under it (outstanding_ is decremented by the
  // completion thread alone, after the listener returns).
  std::atomic<uint32_t> pending_count_ = 0;    // pending_.size()
  std::atomic<uint32_t> in_flight_count_ = 0;  // in_flight_.size()
  std::atomic<uint32_t> outstanding_ = 0;      // taken from pending_ (or issued directly), not yet reported
  std::atomic<int64_t> linger_until_ns_ = 0;   // steady clock: spinning threads poll until then when idle
  std::atomic<bool> stop_requested_ = false;   // ends a lingering spin at once

  std::thread submit_thread_;  // last: they start once everything they use exists
  std::thread completion_thread_;
};

}  // namespace missile::pcie
