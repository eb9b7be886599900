// A copy engine that really copies, with memcpy on one worker thread, first in first out. Host memory stands
// in for device memory: it exists to test that the scheduler delivers every byte intact under concurrency,
// with completions arriving on another thread, as they will from the CUDA engine.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "pcie/copy_engine.h"

namespace missile::pcie {

class HostMemcpyEngine final : public CopyEngine {
 public:
  HostMemcpyEngine();
  // Finishes the copies already issued, then stops the worker.
  ~HostMemcpyEngine() override;
  HostMemcpyEngine(const HostMemcpyEngine&) = delete;
  HostMemcpyEngine& operator=(const HostMemcpyEngine&) = delete;

  void Issue(ChunkCopy& copy, CopyListener& listener) override;

 private:
  struct Pending {
    ChunkCopy* copy;
    CopyListener* listener;
  };
  void Work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything it uses exists
};

}  // namespace missile::pcie
