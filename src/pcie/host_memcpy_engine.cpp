#include "pcie/host_memcpy_engine.h"

#include <cstring>

namespace missile::pcie {

HostMemcpyEngine::HostMemcpyEngine() : worker_([this] { Work(); }) {}

HostMemcpyEngine::~HostMemcpyEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void HostMemcpyEngine::Issue(ChunkCopy& copy, CopyListener& listener) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({&copy, &listener});
  }
  wake_.notify_one();
}

void HostMemcpyEngine::Work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every issued copy is done
    const Pending next = queue_.front();
    queue_.pop_front();
    // The listener may issue the next copy from inside its callback: the queue must be unlocked meanwhile.
    lock.unlock();
    ChunkCopy& copy = *next.copy;
    if (copy.staging != nullptr) {
      std::memcpy(copy.staging, copy.src, copy.bytes);
      std::memcpy(copy.dst, copy.staging, copy.bytes);
    } else {
      std::memcpy(copy.dst, copy.src, copy.bytes);
    }
    next.listener->OnChunkCopied(copy, Status::Ok());
    lock.lock();
  }
}

}  // namespace missile::pcie
