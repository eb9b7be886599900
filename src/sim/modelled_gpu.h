// A GPU as a timing model on a virtual clock, behind the same KernelLauncher seam as the real devices: the
// simulator drives the real compute scheduler and policies against it.
//
// The model (docs/scheduling.md, "Simulator"):
// - A launched kernel reaches the GPU after launch_latency (plus the launch's pace: its stream idles that
//   long first) and from then on holds SMs, per group, as its blocks would: it first takes free SMs of its
//   partition, up to the SMs its blocks can fill (its demand). A launch of several steps (a segment, e.g. a
//   request replayed as one CUDA graph) runs its kernels in turn with no gap: each next kernel takes its SMs
//   the moment the one before completes, and the listener hears once, after the last.
// - A kernel on s SMs progresses at 1 / duration(s) of its work per unit time, duration(s) from its profile
//   (interpolated between partition sizes): a fluid model of blocks.
// - Freed SMs (a kernel completed) go to the kernels still short of their demand, by stream priority, then
//   start order, within their partitions: the block scheduler's rule. So a later kernel of equal priority
//   gets SMs only as the earlier one leaves them, and low-priority blocks fill SMs that are idle for a
//   moment.
// - Preemption is at block granularity: a kernel still short of SMs that lower-priority kernels hold in its
//   partition takes them once their blocks there have drained. Blocks in flight are at uniformly spread
//   stages, so freeing d of the s SMs a kernel holds takes d / s of its block time (its duration over its
//   number of waves); meanwhile the kernel runs on what it has.
// - DRAM: every kernel in flight is slowed by the others' bandwidth through the contention model: a kernel of
//   memory intensity m on s SMs pulls m x streaming(s) GB/s, and the victim's slowdown follows the measured
//   H200 curve scaled by its own intensity (contention.h).
#pragma once

#include <cstdint>
#include <vector>

#include "pcie/virtual_clock.h"
#include "sched/contention.h"
#include "sched/kernel_launcher.h"
#include "sched/sm_layout.h"
#include "sim/sm_pool.h"

namespace missile::sim {

using pcie::Nanos;

struct ModelledGpuOptions {
  sched::GpuLayout layout = sched::GpuLayout::H200();
  const sched::ContentionModel* dram = &sched::ContentionModel::H200();
  // From Launch() to the kernel reaching the GPU: the host-side launch call and the front end.
  Nanos launch_latency{2000};
};

struct ModelledGpuStats {
  uint64_t kernels = 0;   // completed
  uint64_t drains = 0;    // kernels that waited for lower-priority blocks to leave SMs they needed
  Nanos drain_wait{0};    // their total wait (they ran on the SMs they had meanwhile)
  double busy_sm_us = 0;  // SM-microseconds granted to kernels
};

class ModelledGpu final : public sched::KernelLauncher {
 public:
  ModelledGpu(pcie::VirtualClock& clock, const ModelledGpuOptions& options);
  ModelledGpu(const ModelledGpu&) = delete;
  ModelledGpu& operator=(const ModelledGpu&) = delete;

  void Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) override;

  const ModelledGpuStats& stats() const { return stats_; }
  size_t in_flight() const { return kernels_.size(); }

 private:
  struct Kernel {
    uint64_t id = 0;  // also the start order among equal priorities
    sched::KernelLaunch launch;
    sched::KernelListener* listener = nullptr;
    size_t index = 0;                               // the segment's kernel running now
    const sched::KernelProfile* profile = nullptr;  // its profile
    bool arrived = false;                           // reached the GPU: holds SMs from then on
    Nanos arrived_at{0};
    int demand = 0;  // SMs its blocks can fill in its partition
    SmHoldings held;
    int sms = 0;             // SMs held
    double remaining = 1.0;  // fraction of its work left
    double rate = 0;         // work fraction per nanosecond
  };

  Kernel* Find(uint64_t id);
  void Arrive(uint64_t id);
  // The kernel (of its segment) starts: takes the free SMs it can use and schedules the drain of those that
  // lower-priority kernels hold.
  void Begin(Kernel& kernel);
  // Takes the SMs lower-priority kernels held in its partition, now that their blocks there have drained
  // (if the segment is still at kernel `index`).
  void Reclaim(uint64_t id, size_t index);
  void OnCompletionEvent(uint64_t generation);
  // The lower-priority kernels `kernel` would take `need` SMs from (lowest priority, latest started first),
  // and how many from each.
  std::vector<std::pair<Kernel*, int>> Victims(const Kernel& kernel, int need);
  // Moves every arrived kernel's progress forward to now at its current rate.
  void Advance();
  // Free SMs to the kernels short of their demand, by priority, then start order.
  void Redistribute();
  // DRAM slowdown and rate of every arrived kernel.
  void UpdateRates();
  void ScheduleNextCompletion();

  pcie::VirtualClock& clock_;
  const ModelledGpuOptions options_;
  SmPool pool_;
  std::vector<Kernel> kernels_;  // launched and not completed, by id
  uint64_t next_id_ = 0;
  uint64_t generation_ = 0;  // invalidates completion events scheduled before the last change
  Nanos last_advance_{0};
  ModelledGpuStats stats_;
};

}  // namespace missile::sim
