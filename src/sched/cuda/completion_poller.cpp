#include "sched/cuda/completion_poller.h"

#include "device/cuda/cuda_status.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace missile::sched::cuda {
namespace {

// A short pause between polling rounds: lets the sibling hyper-thread run without giving up the core.
void Pause() {
#if defined(__x86_64__)
  for (int i = 0; i < 32; ++i) _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

CompletionPoller::CompletionPoller() : thread_([this] { Loop(); }) {}

CompletionPoller::~CompletionPoller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CompletionPoller::Watch(cudaEvent_t event, Callback done, Status status) {
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back({event, std::move(done), std::move(status)});
  }
  wake_.notify_one();
}

void CompletionPoller::Loop() {
  std::vector<Pending> pending;
  std::vector<Pending> finished;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (pending.empty()) {
        wake_.wait(lock, [&] { return stopping_ || !incoming_.empty(); });
        if (incoming_.empty()) return;  // stopping, nothing left
      }
      for (Pending& p : incoming_) pending.push_back(std::move(p));
      incoming_.clear();
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->event != nullptr) {
        const cudaError_t state = cudaEventQuery(it->event);
        if (state == cudaErrorNotReady) {
          ++it;
          continue;
        }
        if (state != cudaSuccess)
          it->status = device::cuda::CudaError(state, "cudaEventQuery", __FILE__, __LINE__);
      }
      finished.push_back(std::move(*it));
      it = pending.erase(it);
    }
    // Callbacks run without the lock: they launch more work and Watch it.
    for (Pending& p : finished) p.done(p.status);
    finished.clear();
    if (!pending.empty()) Pause();
  }
}

}  // namespace missile::sched::cuda
