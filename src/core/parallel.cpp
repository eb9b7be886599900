#include "core/parallel.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace missile {
namespace {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i) for i in [0, tasks); the calling thread takes part. One parallel loop at a time.
  void Run(int tasks, FunctionRef<void(int)> task) {
    std::lock_guard run_lock(run_mutex_);
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      task_count_ = tasks;
      next_task_ = 0;
      pending_ = tasks;
      ++generation_;
    }
    wake_.notify_all();
    DrainTasks();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

 private:
  void DrainTasks() {
    while (true) {
      int index;
      const FunctionRef<void(int)>* task;
      {
        std::lock_guard lock(mutex_);
        if (task_ == nullptr || next_task_ >= task_count_) return;
        index = next_task_++;
        task = task_;
      }
      (*task)(index);
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_all();
    }
  }

  void WorkerLoop() {
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      DrainTasks();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const FunctionRef<void(int)>* task_ = nullptr;
  int task_count_ = 0;
  int next_task_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

// Set while a thread runs a ParallelFor chunk, so nested loops run inline instead of waiting on the busy
// pool.
thread_local bool in_parallel_region = false;

ThreadPool& Pool() {
  static ThreadPool pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return pool;
}

}  // namespace

int ParallelThreadCount() {
  return Pool().size();
}

void ParallelFor(int64_t count, int64_t min_chunk, FunctionRef<void(int64_t, int64_t)> body) {
  if (count <= 0) return;
  const int64_t max_tasks = std::max<int64_t>(1, count / std::max<int64_t>(min_chunk, 1));
  const int tasks = static_cast<int>(std::min<int64_t>(ParallelThreadCount(), max_tasks));
  if (tasks <= 1 || in_parallel_region) {
    body(0, count);
    return;
  }
  const int64_t chunk = (count + tasks - 1) / tasks;
  Pool().Run(tasks, [&](int t) {
    const int64_t begin = t * chunk;
    const int64_t end = std::min(count, begin + chunk);
    if (begin >= end) return;
    in_parallel_region = true;
    body(begin, end);
    in_parallel_region = false;
  });
}

}  // namespace missile
