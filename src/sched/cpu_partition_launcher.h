// The CPU device's stand-in for SM partitions, so that the compute scheduler, its policies and the executor
// run end to end in CI on real models (the kernels are the CPU backend's, the results real).
//
// What it emulates, and how (it is a functional device, not a performance model):
// - Streams: one worker thread per tenant runs that tenant's kernels in launch order (a segment's steps in
//   turn); a paced launch (KernelLaunch::pace_us) sleeps first, without holding the CPU.
// - The SMs: the CPU computes one kernel at a time (each kernel already uses every core). Tenants waiting to
//   compute are served by stream priority, then in the order they asked: the block scheduler's rule.
// - Partitions: a kernel launched into a partition of s of the GPU's S SMs holds its completion for
//   (S / s - 1) times its compute time after computing, without holding the CPU: a smaller partition finishes
//   later, as if the kernel scaled linearly with SMs, and other tenants compute meanwhile, as they would on
//   the other SMs. (Disable with stretch_time = false.)
// Request data: inputs are bound (copied into the executable's arena) when step 0 launches, outputs read back
// when the last step completes. A tenant runs one request at a time, so the executable it runs is free for
// it: the tenant's own (AddModel), or the request's (SetRequest) for a tenant that serves several models.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "runtime/cpu_executable.h"
#include "sched/kernel_launcher.h"
#include "sched/sm_layout.h"

namespace missile::sched {

class CpuPartitionLauncher final : public KernelLauncher {
 public:
  explicit CpuPartitionLauncher(const GpuLayout& layout, bool stretch_time = true);
  // Runs the kernels already launched, then stops. Their listeners must still be alive.
  ~CpuPartitionLauncher() override;
  CpuPartitionLauncher(const CpuPartitionLauncher&) = delete;
  CpuPartitionLauncher& operator=(const CpuPartitionLauncher&) = delete;

  // The executable runs `tenant`'s kernels; it must outlive the launcher and have one step per kernel of the
  // tenant's profile.
  Status AddModel(TenantId tenant, runtime::CpuExecutable& executable);
  // The request's inputs in graph-input order, validated by the caller; set before the request is submitted.
  Status SetInputs(TenantId tenant, RequestId request, std::vector<Tensor> inputs);
  // The same for a request that runs `executable` (which must outlive the request and be used by no one
  // else meanwhile) rather than the tenant's model.
  Status SetRequest(TenantId tenant, RequestId request, runtime::CpuExecutable& executable,
                    std::vector<Tensor> inputs);
  // Drops the inputs of a request that will not be submitted after all.
  void DropRequest(TenantId tenant, RequestId request);
  // The request's outputs, once its last kernel has completed.
  Result<std::vector<Tensor>> TakeOutputs(TenantId tenant, RequestId request);

  void Launch(const KernelLaunch& launch, KernelListener& listener) override;

  // (tenant, step) in the order kernels got the CPU, the last kComputeOrderKept of them: what tests check
  // priorities against. Bounded: a server runs for days (it held 16 bytes per kernel, ~1.5 KB per MobileNetV2
  // request, for good before).
  static constexpr size_t kComputeOrderKept = size_t{1} << 16;
  std::vector<std::pair<TenantId, size_t>> ComputeOrder() const;

 private:
  // Who computes next: the highest stream priority, then the earliest to ask.
  class PriorityGate {
   public:
    void Acquire(int priority);
    void Release();

   private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::pair<int, uint64_t>, bool> waiting_;  // (-priority, ticket)
    uint64_t next_ticket_ = 0;
    bool busy_ = false;
  };

  struct RequestData {
    runtime::CpuExecutable* executable = nullptr;
    std::vector<Tensor> inputs;
  };
  struct Stream {
    runtime::CpuExecutable* executable = nullptr;  // the tenant's model, if it has one
    runtime::CpuExecutable* current = nullptr;     // what the request in progress runs (set at its step 0)
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::pair<KernelLaunch, KernelListener*>> queue;
    std::map<RequestId, RequestData> inputs;
    std::map<RequestId, std::vector<Tensor>> outputs;
    bool stopping = false;
    std::thread worker;
  };

  Stream& StreamOf(TenantId tenant);  // created on first use
  void Work(Stream& stream);
  Status Compute(Stream& stream, const KernelLaunch& launch);

  const GpuLayout layout_;
  const bool stretch_time_;
  PriorityGate gate_;
  std::mutex streams_mutex_;
  std::map<TenantId, std::unique_ptr<Stream>> streams_;
  mutable std::mutex order_mutex_;
  std::deque<std::pair<TenantId, size_t>> compute_order_;
};

}  // namespace missile::sched
