// Turns GPU events into host callbacks: a thread spins over the events recorded after launches
// (cudaEventQuery, a pause between rounds) and runs each one's callback once it has completed.
//
// Why a poller and not cudaLaunchHostFunc: a host function runs on the driver's thread and must not call
// CUDA, but the compute scheduler launches the next kernel from the completion callback. Why spinning: a
// blocking wait or a sleeping thread adds tens of microseconds per completion (timer slack), and an LS
// request on the GPU is about a millisecond. It spins only while something is pending and sleeps on a
// condition variable otherwise.
#pragma once

#include <cuda_runtime.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace missile::sched::cuda {

class CompletionPoller {
 public:
  using Callback = std::function<void(const Status&)>;

  CompletionPoller();
  // Waits for everything pending, running its callbacks, then stops.
  ~CompletionPoller();
  CompletionPoller(const CompletionPoller&) = delete;
  CompletionPoller& operator=(const CompletionPoller&) = delete;

  // Runs `done` on the poller's thread once `event` (recorded already) has completed, with the error if the
  // GPU reported one. A null event completes at the next round with `status`: how a launch that failed on
  // the host reports back without calling its listener from inside Launch. `done` may call Watch again.
  void Watch(cudaEvent_t event, Callback done, Status status = Status::Ok());

 private:
  struct Pending {
    cudaEvent_t event = nullptr;
    Callback done;
    Status status;
  };
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> incoming_;  // added since the thread last looked
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace missile::sched::cuda
