#include "colocation_runs.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include "device/cuda/cuda_status.h"
#include "device/cuda/stream.h"
#include "pcie/clock.h"
#include "sched/compute_scheduler.h"
#include "sched/cuda/request_segment.h"

namespace missile::bench {
namespace {

using sched::GroupRange;
using sched::TenantId;

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

Clock::time_point At(Clock::time_point start, double seconds) {
  return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Spins until `event` has completed, as the launcher's poller does.
Status SpinOn(cudaEvent_t event) {
  while (true) {
    const cudaError_t state = cudaEventQuery(event);
    if (state == cudaSuccess) return Status::Ok();
    if (state != cudaErrorNotReady)
      return device::cuda::CudaError(state, "cudaEventQuery", __FILE__, __LINE__);
    std::this_thread::yield();
  }
}

void FillBe(const Workload& w, const std::vector<Clock::time_point>& done, Clock::time_point start,
            RunResult& result) {
  for (Clock::time_point t : done) {
    const double at = SecondsBetween(start, t);
    if (at >= w.warmup_s && at <= w.duration_s) ++result.be_requests;
  }
  result.be_items_per_s = static_cast<double>(result.be_requests) * w.be.batch / (w.duration_s - w.warmup_s);
}

}  // namespace

void WaitUntil(Clock::time_point deadline) {
  const auto far = std::chrono::microseconds(300);
  while (true) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return;
    if (deadline - now > far) {
      std::this_thread::sleep_for(deadline - now - far);
    } else {
      std::this_thread::yield();
    }
  }
}

Result<RunResult> RunDirect(const Workload& w, const RunSpec& spec, sched::cuda::PartitionStreams& streams) {
  if (spec.with_ls == spec.with_be) {
    return Error(ErrorCode::kInvalidArgument, "a run without the scheduler has exactly one tenant");
  }
  const GpuTenant& tenant = spec.with_ls ? w.ls : w.be;
  const int groups = tenant.profile->layout.groups();
  // The tenant's lane stream on the whole GPU at the lowest priority: the stream kind scheduled runs use.
  MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream,
                           streams.StreamFor(spec.with_ls ? 0 : 1, GroupRange{0, groups}, 0));
  MISSILE_ASSIGN_OR_RETURN(device::cuda::LibraryHandles handles,
                           device::cuda::LibraryHandles::Create(stream));
  const ops::cuda::LaunchContext launch{stream, handles.cudnn(), handles.cublaslt()};
  // The engine's fastest way to run a request alone: the whole request as one CUDA graph (`--cuda-graph`),
  // whatever segments the scheduled runs use; kernel by kernel with --no-graphs.
  std::optional<sched::cuda::SegmentGraph> graph;
  if (w.graphs) {
    MISSILE_ASSIGN_OR_RETURN(
        sched::cuda::SegmentGraph captured,
        sched::cuda::SegmentGraph::Capture(*tenant.executable, 0, tenant.executable->step_count(), launch));
    graph = std::move(captured);
  }
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Event done, device::cuda::Event::Create());
  auto request = [&]() -> Status {
    if (graph.has_value()) {
      MISSILE_RETURN_IF_ERROR(graph->Launch(stream));
    } else {
      MISSILE_RETURN_IF_ERROR(
          sched::cuda::EnqueueSegment(*tenant.executable, 0, tenant.executable->step_count(), launch));
    }
    MISSILE_RETURN_IF_ERROR(done.Record(stream));
    return SpinOn(done.get());
  };
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());

  RunResult result;
  result.spec = spec;
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  if (spec.with_ls) {
    std::vector<double> latencies;
    for (double arrival : w.ls_arrivals_s) {
      const Clock::time_point deadline = At(start, arrival);
      WaitUntil(deadline);
      MISSILE_RETURN_IF_ERROR(request());
      if (arrival >= w.warmup_s) latencies.push_back(SecondsBetween(deadline, Clock::now()) * 1e3);
    }
    result.ls = sim::Summarize(std::move(latencies));
  } else {
    WaitUntil(start);
    std::vector<Clock::time_point> finished;
    const Clock::time_point end = At(start, w.duration_s);
    while (Clock::now() < end) {
      MISSILE_RETURN_IF_ERROR(request());
      finished.push_back(Clock::now());
    }
    FillBe(w, finished, start, result);
  }
  result.wall_s = SecondsBetween(start, Clock::now());
  return result;
}

Result<RunResult> RunScheduled(const Workload& w, const RunSpec& spec,
                               sched::cuda::PartitionStreams& streams) {
  pcie::SteadyClock clock;
  sched::cuda::CudaKernelLauncher launcher(streams);
  sched::PolicyOptions policy_options = w.policy_options;
  if (spec.budget.has_value()) policy_options.missile_slowdown_budget = *spec.budget;
  MISSILE_ASSIGN_OR_RETURN(auto policy, sched::MakePolicy(spec.policy, policy_options));
  GpuTenant be_tenant = w.be;
  if (spec.be_segment.has_value()) be_tenant.segment_steps = *spec.be_segment;
  if (spec.be_bounds.has_value()) be_tenant.bounds = *spec.be_bounds;
  const sched::GpuLayout layout = w.ls.profile->layout;
  sched::ComputeScheduler scheduler(layout, std::move(policy), launcher, clock);

  auto add = [&](const GpuTenant& t, sched::TenantClass cls) -> Result<TenantId> {
    sched::TenantConfig config{t.name, cls, t.bounds, 0};
    config.segment_steps = t.segment_steps;
    MISSILE_ASSIGN_OR_RETURN(TenantId id, scheduler.AddTenant(config, t.profile));
    MISSILE_RETURN_IF_ERROR(
        launcher.AddModel(id, *t.executable, {.replay_graphs = w.graphs, .keep_outputs = false}));
    if (w.graphs) {
      // Every partition the policies give this class (LS: the whole GPU and each suffix; BE: each prefix, the
      // whole GPU among them) at the priorities they use for it, so that no capture lands inside the
      // measurement. Streams without real partitions share graphs.
      const bool ls = cls == sched::TenantClass::kLatencySensitive;
      for (int k = ls ? 0 : 1; ls ? k < layout.groups() : k <= layout.groups(); ++k) {
        const GroupRange partition = ls ? GroupRange{k, layout.groups()} : GroupRange{0, k};
        for (int priority : ls ? std::vector<int>{0, 3} : std::vector<int>{0}) {
          MISSILE_RETURN_IF_ERROR(launcher.PrepareGraphs(id, partition, priority, t.segment_steps));
        }
      }
    }
    return id;
  };
  // The LS tenant first (lane 0), as in the simulator; lanes are tenant ids.
  TenantId ls_id = 0, be_id = 0;
  if (spec.with_ls) {
    MISSILE_ASSIGN_OR_RETURN(ls_id, add(w.ls, sched::TenantClass::kLatencySensitive));
  }
  if (spec.with_be) {
    MISSILE_ASSIGN_OR_RETURN(be_id, add(be_tenant, sched::TenantClass::kBestEffort));
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());

  std::mutex mutex;
  std::condition_variable idle;
  int outstanding = 0;
  std::vector<double> ls_latencies;
  std::vector<Clock::time_point> be_finished;
  uint64_t ls_failed = 0, be_failed = 0;
  Status first_error;
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  const Clock::time_point end = At(start, w.duration_s);

  auto note_error = [&](const Status& s) {
    if (first_error.ok()) first_error = s;
  };
  std::function<void(sched::RequestId)> submit_be = [&](sched::RequestId id) {
    {
      std::lock_guard lock(mutex);
      ++outstanding;
    }
    const Status submitted = scheduler.Submit(be_id, id, [&](sched::RequestId done_id, const Status& s) {
      const Clock::time_point now = Clock::now();
      bool again = false;
      {
        std::lock_guard lock(mutex);
        if (s.ok()) {
          be_finished.push_back(now);
        } else {
          ++be_failed;
          note_error(s);
        }
        again = s.ok() && now < end;
      }
      if (again) submit_be(done_id + 1);
      std::lock_guard lock(mutex);
      if (--outstanding == 0) idle.notify_all();
    });
    if (!submitted.ok()) {
      std::lock_guard lock(mutex);
      note_error(submitted);
      if (--outstanding == 0) idle.notify_all();
    }
  };

  if (spec.with_be) {
    WaitUntil(start);
    submit_be(0);
  }
  if (spec.with_ls) {
    for (size_t i = 0; i < w.ls_arrivals_s.size(); ++i) {
      const double arrival = w.ls_arrivals_s[i];
      const Clock::time_point deadline = At(start, arrival);
      WaitUntil(deadline);
      {
        std::lock_guard lock(mutex);
        ++outstanding;
      }
      const Status submitted =
          scheduler.Submit(ls_id, i, [&, deadline, arrival](sched::RequestId, const Status& s) {
            const double ms = SecondsBetween(deadline, Clock::now()) * 1e3;
            std::lock_guard lock(mutex);
            if (!s.ok()) {
              ++ls_failed;
              note_error(s);
            } else if (arrival >= w.warmup_s) {
              ls_latencies.push_back(ms);
            }
            if (--outstanding == 0) idle.notify_all();
          });
      if (!submitted.ok()) {
        std::lock_guard lock(mutex);
        note_error(submitted);
        if (--outstanding == 0) idle.notify_all();
      }
    }
  }
  WaitUntil(end);
  {
    std::unique_lock lock(mutex);
    if (!idle.wait_for(lock, std::chrono::seconds(120), [&] { return outstanding == 0; })) {
      // Callbacks still refer to this frame: there is no returning from here.
      std::fprintf(stderr, "run '%s': %d requests still in flight 120 s after the end; aborting\n",
                   spec.name.c_str(), outstanding);
      std::abort();
    }
  }
  RunResult result;
  result.spec = spec;
  result.wall_s = SecondsBetween(start, Clock::now());
  result.ls = sim::Summarize(std::move(ls_latencies));
  result.ls_failed = ls_failed;
  result.be_failed = be_failed;
  FillBe(w, be_finished, start, result);
  result.launcher = launcher.stats();
  result.invalid_decisions = scheduler.invalid_decisions();
  if (!first_error.ok()) return first_error.WithContext(fmt::format("run '{}'", spec.name));
  return result;
}

}  // namespace missile::bench
