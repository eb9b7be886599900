#include "sim/modelled_gpu.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

namespace missile::sim {
namespace {

Nanos CeilNanos(double ns) {
  return Nanos(static_cast<int64_t>(std::ceil(std::max(ns, 0.0))));
}

}  // namespace

ModelledGpu::ModelledGpu(pcie::VirtualClock& clock, const ModelledGpuOptions& options)
    : clock_(clock), options_(options), pool_(options.layout), last_advance_(clock.Now()) {}

void ModelledGpu::Launch(const sched::KernelLaunch& launch, sched::KernelListener& listener) {
  if (launch.steps == 0 || launch.kernel == nullptr ||
      (launch.steps > 1 && launch.segment.size() != launch.steps)) {
    // Never from inside Launch: the listener hears on the clock.
    clock_.After(Nanos(0), [launch, &listener] {
      listener.OnKernelDone(
          launch, Error(ErrorCode::kInvalidArgument,
                        "modelled GPU: a launch of {} steps needs each step's profile", launch.steps));
    });
    return;
  }
  Kernel kernel;
  kernel.id = next_id_++;
  kernel.launch = launch;
  kernel.listener = &listener;
  kernel.profile = launch.kernel;
  kernels_.push_back(std::move(kernel));
  const uint64_t id = next_id_ - 1;
  const Nanos pace(static_cast<int64_t>(std::llround(std::max(0.0, launch.pace_us) * 1e3)));
  clock_.After(options_.launch_latency + pace, [this, id] { Arrive(id); });
}

ModelledGpu::Kernel* ModelledGpu::Find(uint64_t id) {
  for (Kernel& k : kernels_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

void ModelledGpu::Arrive(uint64_t id) {
  Advance();
  Kernel& kernel = *Find(id);
  kernel.arrived = true;
  Begin(kernel);
  UpdateRates();
  ScheduleNextCompletion();
}

void ModelledGpu::Begin(Kernel& kernel) {
  const sched::GpuLayout& layout = options_.layout;
  kernel.arrived_at = clock_.Now();
  kernel.remaining = 1.0;
  kernel.held = pool_.Empty();
  kernel.demand = std::min(kernel.profile->UsefulSms(layout), layout.SmsIn(kernel.launch.partition));
  kernel.sms = pool_.TakeFree(kernel.launch.partition, kernel.demand, kernel.held);
  double wait_us = 0;
  for (const auto& [victim, taken] : Victims(kernel, kernel.demand - kernel.sms)) {
    const double block_us = victim->profile->BlockTimeUs(layout, victim->sms);
    wait_us = std::max(wait_us, block_us * taken / victim->sms);
  }
  if (wait_us > 0) {
    ++stats_.drains;
    const uint64_t id = kernel.id;
    const size_t index = kernel.index;
    clock_.After(CeilNanos(wait_us * 1e3), [this, id, index] { Reclaim(id, index); });
  }
}

void ModelledGpu::Reclaim(uint64_t id, size_t index) {
  Kernel* kernel = Find(id);
  // It finished on the SMs it had (or its segment moved on).
  if (kernel == nullptr || kernel->index != index) return;
  Advance();
  for (const auto& [victim, taken] : Victims(*kernel, kernel->demand - kernel->sms)) {
    kernel->sms += SmPool::Move(kernel->launch.partition, taken, victim->held, kernel->held);
    victim->sms = SmPool::Count(victim->held);
  }
  stats_.drain_wait += clock_.Now() - kernel->arrived_at;
  UpdateRates();
  ScheduleNextCompletion();
}

std::vector<std::pair<ModelledGpu::Kernel*, int>> ModelledGpu::Victims(const Kernel& kernel, int need) {
  std::vector<std::pair<Kernel*, int>> victims;
  if (need <= 0) return victims;
  std::vector<Kernel*> lower;
  for (Kernel& k : kernels_) {
    if (k.arrived && k.launch.stream_priority < kernel.launch.stream_priority &&
        SmPool::CountIn(kernel.launch.partition, k.held) > 0) {
      lower.push_back(&k);
    }
  }
  std::sort(lower.begin(), lower.end(), [](const Kernel* a, const Kernel* b) {
    return std::make_tuple(a->launch.stream_priority, -static_cast<int64_t>(a->id)) <
           std::make_tuple(b->launch.stream_priority, -static_cast<int64_t>(b->id));
  });
  for (Kernel* k : lower) {
    if (need <= 0) break;
    const int take = std::min(need, SmPool::CountIn(kernel.launch.partition, k->held));
    victims.emplace_back(k, take);
    need -= take;
  }
  return victims;
}

void ModelledGpu::Advance() {
  const double elapsed = static_cast<double>((clock_.Now() - last_advance_).count());
  if (elapsed > 0) {
    for (Kernel& k : kernels_) {
      if (!k.arrived) continue;
      k.remaining = std::max(0.0, k.remaining - k.rate * elapsed);
      stats_.busy_sm_us += k.sms * elapsed * 1e-3;
    }
  }
  last_advance_ = clock_.Now();
}

void ModelledGpu::Redistribute() {
  std::vector<Kernel*> short_of_sms;
  for (Kernel& k : kernels_) {
    if (k.arrived && k.sms < k.demand) short_of_sms.push_back(&k);
  }
  std::sort(short_of_sms.begin(), short_of_sms.end(), [](const Kernel* a, const Kernel* b) {
    return std::make_tuple(-a->launch.stream_priority, a->id) <
           std::make_tuple(-b->launch.stream_priority, b->id);
  });
  for (Kernel* k : short_of_sms) k->sms += pool_.TakeFree(k->launch.partition, k->demand - k->sms, k->held);
}

void ModelledGpu::UpdateRates() {
  const sched::GpuLayout& layout = options_.layout;
  const sched::ContentionModel& dram = *options_.dram;
  double total_gbps = 0;
  for (const Kernel& k : kernels_) {
    if (k.arrived) total_gbps += dram.PulledBandwidth(k.sms, k.profile->memory_intensity);
  }
  for (Kernel& k : kernels_) {
    if (!k.arrived) continue;
    const double intensity = k.profile->memory_intensity;
    const double others_gbps = total_gbps - dram.PulledBandwidth(k.sms, intensity);
    const double slowdown = dram.Slowdown(intensity, others_gbps);
    k.rate = k.sms > 0 ? 1.0 / (k.profile->DurationUs(layout, k.sms) * 1e3 * slowdown) : 0.0;
  }
}

void ModelledGpu::ScheduleNextCompletion() {
  const uint64_t generation = ++generation_;
  double soonest = -1;
  for (const Kernel& k : kernels_) {
    if (!k.arrived || k.rate <= 0) continue;
    const double ns = k.remaining / k.rate;
    if (soonest < 0 || ns < soonest) soonest = ns;
  }
  if (soonest < 0) return;
  clock_.After(CeilNanos(soonest), [this, generation] { OnCompletionEvent(generation); });
}

void ModelledGpu::OnCompletionEvent(uint64_t generation) {
  if (generation != generation_) return;  // the state changed since this was scheduled
  Advance();
  std::vector<Kernel> finished;
  std::vector<uint64_t> continuing;  // segments moving on to their next kernel
  for (auto it = kernels_.begin(); it != kernels_.end();) {
    // Done, or within a nanosecond of done (completion times are rounded up to whole nanoseconds).
    if (it->arrived && it->rate > 0 && it->remaining <= it->rate) {
      pool_.Release(it->held);
      it->held = pool_.Empty();
      it->sms = 0;
      ++stats_.kernels;
      if (it->index + 1 < it->launch.steps) {
        continuing.push_back(it->id);
        ++it;
        continue;
      }
      finished.push_back(std::move(*it));
      it = kernels_.erase(it);
    } else {
      ++it;
    }
  }
  // A segment's next kernel is queued right behind the last one: it takes its SMs before anyone else.
  for (uint64_t id : continuing) {
    Kernel& k = *Find(id);
    ++k.index;
    k.profile = &k.launch.segment[k.index];
    Begin(k);
  }
  Redistribute();
  UpdateRates();
  ScheduleNextCompletion();
  for (const Kernel& k : finished) k.listener->OnKernelDone(k.launch, Status::Ok());
}

}  // namespace missile::sim
