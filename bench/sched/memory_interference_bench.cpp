// The memory-interference case of shared/DEVICE.md on green-context SM partitions (issue 4, acceptance 6):
// a memory-bound LS kernel stream on its partition beside a memory-bound BE kernel stream on the other SMs.
//
//   missile_memory_interference_bench --json memory-interference.json [--ls-groups 7] [--gib 1] [--ls-ms 40]
//                                     [--rounds 3] [--budget 0.05] [--be-min-groups 1] [--feedback-rounds 3]
//
// Both tenants run the same kernel, a streaming read of their own buffer (1 GiB each, far beyond the 60 MiB
// L2), launched back to back into their partition's stream. Reported:
// - the kernel's measured profile (alone on every prefix partition [0, g)), which the policy is given;
// - LS alone on the whole GPU and on its partition (the top --ls-groups groups: 68 SMs on the H200's
//   15-group split, beside 64 for BE: DEVICE.md's 64/68 case);
// - every split: BE on [0, g), LS on [g, n), g = 1 .. n - 1: LS slowdown against LS alone on the same SMs,
//   BE achieved GB/s while LS ran, and what the DEVICE.md contention model (sched/contention.h) predicts;
// - the contention curve of LS's own partition: BE on [0, g) for every g below it, LS on its partition;
// - under missile: what sched::MakePolicy("missile") decides from a SchedulerView with both tenants'
//   measured profiles (LS active on its partition, BE ready), run as decided (BE's partition, and the pause
//   before each of its kernels: the duty cycle of bandwidth regulation) - once with the contention model
//   fitted to LS's partition's curve (ContentionModel::FromMeasurements), once with DEVICE.md's; then
//   --feedback-rounds times again, each from the previous run's measurement (LS's slowdown and BE's period
//   turned into the BE tenant's ContentionObservation, sched/contention_observation.h), as the scheduler
//   would correct its pace from the kernels it times.
//
// Timing: per-kernel CUDA events in each stream. BE is queued for about three times LS's window so it runs
// through all of it; its bandwidth counts the BE kernels that started and ended inside LS's window (events
// of the two streams compared on the GPU's clock), pauses included: what BE achieved on average.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/green_partitions.h"
#include "device/cuda/stream.h"
#include "device/gpu_info.h"
#include "sched/contention.h"
#include "sched/contention_observation.h"
#include "sched/cuda/stream_pause.h"
#include "sched/measured_profile.h"
#include "sched/missile_policy.h"
#include "sched/policy.h"
#include "sched/scheduler_view.h"
#include "stream_read.h"

namespace missile {
namespace {

using device::cuda::Event;
using device::cuda::GreenPartitions;
using nlohmann::json;
using sched::GroupRange;

struct Options {
  std::string json_path;
  int ls_groups = 7;  // the top 7 of the H200's 15 groups: 68 SMs, beside 64 for BE (DEVICE.md's case)
  double gib = 1;
  double ls_ms = 40;
  int rounds = 3;
  int warmup = 2;
  int repetitions = 5;
  double budget = 0.05;
  int be_min_groups = 1;     // BE guaranteed a group: bandwidth regulation paces it rather than holding it
  int be_blocks_per_sm = 0;  // 0: as many as fit (the heaviest streaming BE)
  int feedback_rounds = 3;   // missile decides again from what the previous run measured, this many times
};

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

double Median(std::vector<double> v) {
  auto m = sched::MedianOf(std::move(v));
  return m.ok() ? *m : 0;
}

// Events recorded around kernels in one stream: event 0 before the first, event i after kernel i.
class EventTrail {
 public:
  static Result<EventTrail> Create(size_t kernels) {
    EventTrail trail;
    for (size_t i = 0; i <= kernels; ++i) {
      MISSILE_ASSIGN_OR_RETURN(Event e, Event::Create(/*timing=*/true));
      trail.events_.push_back(std::move(e));
    }
    return trail;
  }
  size_t capacity() const { return events_.size() - 1; }
  const Event& at(size_t i) const { return events_[i]; }

  // `kernels` launches of `read` on `sms` SMs into `stream`, each after a pause of `pace_us` (none for 0),
  // an event after each.
  Status Enqueue(const bench::StreamRead& read, cudaStream_t stream, int sms, size_t kernels,
                 int blocks_per_sm = 0, double pace_us = 0) const {
    if (kernels > capacity())
      return Error(ErrorCode::kInvalidArgument, "{} kernels, {} events", kernels, capacity());
    MISSILE_RETURN_IF_ERROR(events_[0].Record(stream));
    for (size_t i = 1; i <= kernels; ++i) {
      MISSILE_RETURN_IF_ERROR(sched::cuda::EnqueuePause(stream, pace_us));
      MISSILE_RETURN_IF_ERROR(read.Enqueue(stream, sms, blocks_per_sm));
      MISSILE_RETURN_IF_ERROR(events_[i].Record(stream));
    }
    return Status::Ok();
  }
  // Microseconds of kernel i (1-based), back to back: from the event before it to the one after.
  Result<std::vector<double>> KernelUs(size_t kernels) const {
    std::vector<double> us;
    for (size_t i = 1; i <= kernels; ++i) {
      MISSILE_ASSIGN_OR_RETURN(float ms, Event::ElapsedMs(events_[i - 1], events_[i]));
      us.push_back(1e3 * ms);
    }
    return us;
  }

 private:
  std::vector<Event> events_;
};

class Bench {
 public:
  Bench(const Options& options, GreenPartitions& partitions, bench::StreamRead ls, bench::StreamRead be,
        EventTrail ls_trail, EventTrail be_trail)
      : options_(options),
        partitions_(partitions),
        layout_{partitions.layout().sms, partitions.layout().sms_per_group, partitions.layout().groups},
        ls_(ls),
        be_(be),
        ls_trail_(std::move(ls_trail)),
        be_trail_(std::move(be_trail)) {}

  const sched::GpuLayout& layout() const { return layout_; }
  // How BE's bandwidth beside LS was timed.
  const std::string& be_timing() const { return be_timing_; }

  // The kernel alone on every prefix [0, g): its measured profile.
  Result<sched::KernelProfile> Profile(const bench::StreamRead& read, const std::string& name,
                                       int blocks_per_sm = 0) {
    std::vector<std::vector<double>> samples;
    for (int g = 1; g <= layout_.groups(); ++g) {
      MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream, partitions_.StreamFor(0, g, 0));
      const size_t kernels = static_cast<size_t>(options_.warmup + options_.repetitions);
      MISSILE_RETURN_IF_ERROR(ls_trail_.Enqueue(read, stream, layout_.SmsInFirst(g), kernels, blocks_per_sm));
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
      MISSILE_ASSIGN_OR_RETURN(std::vector<double> us, ls_trail_.KernelUs(kernels));
      samples.emplace_back(us.begin() + options_.warmup, us.end());
    }
    sched::KernelProfile kernel;
    kernel.name = name;
    kernel.op = "StreamRead";
    kernel.bytes = double(read.bytes());
    kernel.blocks = 0;  // the grid is sized to fill whatever partition it runs in
    return sched::MeasuredKernel(kernel, samples, layout_, sched::ContentionModel::H200());
  }

  // LS alone on `range`: mean microseconds per kernel (the first, ramping up, left out), median of rounds.
  Result<double> LsAlone(GroupRange range) {
    const auto key = std::make_pair(range.begin, range.end);
    if (auto found = ls_alone_.find(key); found != ls_alone_.end()) return found->second;
    MISSILE_ASSIGN_OR_RETURN(cudaStream_t stream, partitions_.StreamFor(range.begin, range.end, -5));
    const int sms = layout_.SmsIn(range);
    std::vector<double> rounds;
    for (int r = 0; r < options_.rounds; ++r) {
      const size_t kernels = LsKernels(range);
      MISSILE_RETURN_IF_ERROR(ls_trail_.Enqueue(ls_, stream, sms, kernels));
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
      MISSILE_ASSIGN_OR_RETURN(std::vector<double> us, ls_trail_.KernelUs(kernels));
      rounds.push_back(Mean({us.begin() + 1, us.end()}));
    }
    ls_alone_[key] = Median(rounds);
    return ls_alone_[key];
  }

  struct Pair {
    GroupRange ls, be;
    double ls_us = 0;    // mean per LS kernel beside BE
    double be_gbps = 0;  // BE's achieved bandwidth inside LS's window
    int be_kernels = 0;  // BE kernels counted in it
  };

  // LS on `ls` beside BE on `be`, both streaming back to back (BE with a pause of `be_pace_us` before each
  // kernel), at CUDA priorities -5 and 0 unless given.
  Result<Pair> Beside(GroupRange ls, GroupRange be, const sched::KernelProfile& be_profile,
                      int ls_priority = -5, int be_priority = 0, double be_pace_us = 0) {
    MISSILE_ASSIGN_OR_RETURN(cudaStream_t ls_stream, partitions_.StreamFor(ls.begin, ls.end, ls_priority));
    MISSILE_ASSIGN_OR_RETURN(cudaStream_t be_stream, partitions_.StreamFor(be.begin, be.end, be_priority));
    MISSILE_ASSIGN_OR_RETURN(const double ls_alone_us, LsAlone(ls));
    const double be_alone_us = be_profile.DurationUs(layout_, layout_.SmsIn(be)) + be_pace_us;
    // A paced BE runs a kernel per period: LS's window holds at least ten of them (a few periods would make
    // the duty cycle inside the window a matter of phase).
    const size_t ls_kernels = LsKernels(ls, be_pace_us > 0 ? 10 * be_alone_us : 0);
    const double window_us = ls_alone_us * double(ls_kernels);
    const size_t be_kernels = std::clamp<size_t>(
        static_cast<size_t>(std::ceil(3 * window_us / be_alone_us)) + 2, 4, be_trail_.capacity());
    std::vector<double> ls_rounds, be_rounds, be_counts;
    for (int r = 0; r < options_.rounds; ++r) {
      // BE first, so it is streaming when LS starts.
      MISSILE_RETURN_IF_ERROR(be_trail_.Enqueue(be_, be_stream, layout_.SmsIn(be), be_kernels,
                                                options_.be_blocks_per_sm, be_pace_us));
      MISSILE_RETURN_IF_ERROR(ls_trail_.Enqueue(ls_, ls_stream, layout_.SmsIn(ls), ls_kernels));
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(ls_stream));
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(be_stream));
      MISSILE_ASSIGN_OR_RETURN(std::vector<double> us, ls_trail_.KernelUs(ls_kernels));
      ls_rounds.push_back(Mean({us.begin() + 1, us.end()}));
      // BE kernels inside LS's window [start of LS kernel 2, end of the last LS kernel], on the GPU clock.
      MISSILE_ASSIGN_OR_RETURN(float ls_end_ms, Event::ElapsedMs(ls_trail_.at(1), ls_trail_.at(ls_kernels)));
      double first_ms = -1, last_ms = -1;
      int inside = 0;
      bool comparable = true;
      for (size_t i = 1; i <= be_kernels && comparable; ++i) {
        Result<float> start_ms = Event::ElapsedMs(ls_trail_.at(1), be_trail_.at(i - 1));
        Result<float> end_ms = Event::ElapsedMs(ls_trail_.at(1), be_trail_.at(i));
        if (!start_ms.ok() || !end_ms.ok()) {
          comparable = false;
          break;
        }
        if (*start_ms < 0 || *end_ms > ls_end_ms) continue;
        if (first_ms < 0) first_ms = *start_ms;
        last_ms = *end_ms;
        ++inside;
      }
      if (!comparable) {
        // Events of two partitions' streams could not be compared: BE's own kernels 2 .. K/3 instead, which
        // ran while LS did (BE was queued for three LS windows), and the report says so.
        be_timing_ = "BE kernels 2..K/3 by BE's own events (events of two partitions were not comparable)";
        const size_t last = std::max<size_t>(2, be_kernels / 3);
        MISSILE_ASSIGN_OR_RETURN(float span_ms, Event::ElapsedMs(be_trail_.at(1), be_trail_.at(last)));
        first_ms = 0;
        last_ms = span_ms;
        inside = static_cast<int>(last - 1);
      }
      if (inside > 0 && last_ms > first_ms) {
        be_rounds.push_back(double(inside) * double(be_.bytes()) / ((last_ms - first_ms) * 1e6));
        be_counts.push_back(inside);
      }
    }
    Pair pair{ls, be, Median(ls_rounds), be_rounds.empty() ? 0 : Median(be_rounds),
              be_counts.empty() ? 0 : static_cast<int>(Median(be_counts))};
    return pair;
  }

 private:
  // Enough LS kernels on `range` for about --ls-ms alone, or `at_least_us` (at least 10 kernels).
  size_t LsKernels(GroupRange range, double at_least_us = 0) const {
    const double per_kernel_us =
        double(ls_.bytes()) / (sched::ContentionModel::H200().StreamingBandwidth(layout_.SmsIn(range)) * 1e3);
    const double window_us = std::max(options_.ls_ms * 1e3, at_least_us);
    return std::clamp<size_t>(static_cast<size_t>(window_us / per_kernel_us), 10, ls_trail_.capacity());
  }

  const Options& options_;
  GreenPartitions& partitions_;
  sched::GpuLayout layout_;
  bench::StreamRead ls_, be_;
  EventTrail ls_trail_, be_trail_;
  std::map<std::pair<int, int>, double> ls_alone_;
  std::string be_timing_ = "BE kernels that started and ended inside LS's window, on the GPU clock";
};

json KernelJson(const sched::KernelProfile& k) {
  return {{"name", k.name},
          {"bytes", k.bytes},
          {"memory_intensity", k.memory_intensity},
          {"memory_bound", k.memory_bound},
          {"duration_us", k.duration_us}};
}

// Under missile: LS active on its partition (its bounds are exactly ls_groups groups), BE ready; the policy
// predicts with `dram`. Its decision is run as made: BE in its partition, a pause before every BE kernel.
Result<json> UnderMissile(Bench& bench, const Options& options, const sched::ContentionModel& dram,
                          const sched::KernelProfile& ls_profile, const sched::KernelProfile& be_profile,
                          double ls_home_us, const std::string& model_name) {
  const sched::GpuLayout& layout = bench.layout();
  // LS's request: its whole stream of kernels, so the prediction sees LS busy for as long as BE runs.
  std::vector<sched::KernelProfile> ls_request(2000, ls_profile);
  std::vector<sched::KernelProfile> be_request(1, be_profile);
  sched::SchedulerView view;
  view.layout = layout;
  sched::TenantView ls_tenant;
  ls_tenant.id = 0;
  ls_tenant.cls = sched::TenantClass::kLatencySensitive;
  ls_tenant.bounds = {options.ls_groups, options.ls_groups};
  ls_tenant.next = &ls_request[0];
  ls_tenant.upcoming = ls_request;
  ls_tenant.kernels = ls_request;
  ls_tenant.head_arrival = 1;
  ls_tenant.queued_requests = 1;
  sched::TenantView be_tenant;
  be_tenant.id = 1;
  be_tenant.cls = sched::TenantClass::kBestEffort;
  be_tenant.bounds = {options.be_min_groups, sched::kAllGroups};
  be_tenant.next = &be_request[0];
  be_tenant.upcoming = be_request;
  be_tenant.kernels = be_request;
  be_tenant.head_arrival = 0;
  be_tenant.queued_requests = 1;
  view.tenants = {ls_tenant, be_tenant};
  sched::PolicyOptions policy_options;
  policy_options.missile_slowdown_budget = options.budget;
  policy_options.contention = &dram;
  MISSILE_ASSIGN_OR_RETURN(auto policy, sched::MakePolicy("missile", policy_options));
  const sched::Decisions decisions = policy->Decide(view);
  json missile = {
      {"contention_model", model_name}, {"budget", options.budget}, {"be_min_groups", options.be_min_groups}};
  json decided = json::array();
  for (const auto& d : decisions) decided.push_back(sched::DescribeDecision(d));
  missile["decisions"] = decided;
  const sched::KernelDecision* ls_decision = nullptr;
  const sched::KernelDecision* be_decision = nullptr;
  for (const auto& d : decisions) (d.tenant == 0 ? ls_decision : be_decision) = &d;
  if (ls_decision == nullptr || ls_decision->action != sched::Action::kLaunch) {
    return Error(ErrorCode::kInternal, "missile held the LS tenant's kernel");
  }
  if (be_decision == nullptr || be_decision->action != sched::Action::kLaunch) {
    missile["be_partition"] = "held";
    std::cerr << "missile (" << model_name << "): BE held beside LS\n";
    return missile;
  }
  const sched::MissilePolicy predictor(options.budget, dram);
  const int b = be_decision->partition.end;
  const double pace_us = be_decision->pace_us;
  const double be_kernel_us = be_profile.DurationUs(layout, layout.SmsIn(be_decision->partition));
  const sched::MissilePolicy::Beside beside = predictor.PredictBeside(view, be_request, b, 0);
  const double predicted = beside.ls_slowdown;
  // BE's kernel beside LS runs longer than alone (LS's traffic slows it too): the duty cycle counts that.
  const double be_beside_us = be_kernel_us * beside.be_slowdown;
  MISSILE_ASSIGN_OR_RETURN(const double alone_us, bench.LsAlone(ls_decision->partition));
  // Stream priority levels 0..5 are CUDA priorities 0..-5.
  MISSILE_ASSIGN_OR_RETURN(
      const Bench::Pair pair,
      bench.Beside(ls_decision->partition, be_decision->partition, be_profile, -ls_decision->stream_priority,
                   -be_decision->stream_priority, pace_us));
  missile["be_partition"] = be_decision->partition.ToString();
  missile["be_sms"] = layout.SmsIn(be_decision->partition);
  missile["ls_partition"] = ls_decision->partition.ToString();
  missile["ls_sms"] = layout.SmsIn(ls_decision->partition);
  missile["be_pace_us"] = pace_us;
  missile["be_kernel_us"] = be_kernel_us;
  missile["predicted_be_kernel_us_beside_ls"] = be_beside_us;
  missile["be_duty_cycle"] = be_beside_us / (be_beside_us + pace_us);
  missile["predicted_ls_slowdown_while_be_runs"] = predicted;
  missile["predicted_ls_slowdown_over_duty_cycle"] =
      (be_beside_us + pace_us) / (be_beside_us / predicted + pace_us);
  missile["ls_alone_us"] = alone_us;
  missile["ls_beside_us"] = pair.ls_us;
  missile["ls_slowdown"] = pair.ls_us / alone_us;
  missile["ls_slowdown_vs_home_partition"] = pair.ls_us / ls_home_us;
  missile["be_beside_gbps"] = pair.be_gbps;
  missile["be_alone_gbps"] = double(be_profile.bytes) / (be_kernel_us * 1e3);
  std::cerr << fmt::format(
      "missile ({}): BE {} ({} SMs), pace {:.0f} us per {:.0f}-us kernel, LS {}: LS {:.3f}x (predicted "
      "{:.3f}x "
      "while BE runs), BE {:.0f} GB/s\n",
      model_name, be_decision->partition.ToString(), layout.SmsIn(be_decision->partition), pace_us,
      be_kernel_us, ls_decision->partition.ToString(), pair.ls_us / alone_us, predicted, pair.be_gbps);

  // Feedback: what each run measured (LS's slowdown, BE's period) becomes the BE tenant's observation, and
  // missile decides again from it, as the scheduler would from the kernels it times.
  json feedback = json::array();
  Bench::Pair last = pair;
  double last_pace_us = pace_us;
  for (int round = 0; round < options.feedback_rounds; ++round) {
    if (!(last.be_gbps > 0)) break;  // no BE kernel inside LS's window: nothing measured
    const sched::PacedRun run{b, last.ls_us / alone_us, be_kernel_us,
                              double(be_profile.bytes) / (last.be_gbps * 1e3), last_pace_us};
    MISSILE_ASSIGN_OR_RETURN(const sched::ContentionObservation observed, sched::ObserveContention(run));
    view.tenants[1].observed = observed;
    const sched::Decisions again = policy->Decide(view);
    json step = {{"observed_ls_slowdown_while_be_runs", observed.ls_slowdown_while_running},
                 {"observed_be_stretch", observed.be_stretch}};
    const sched::KernelDecision* be_again = nullptr;
    for (const auto& d : again)
      if (d.tenant == 1 && d.action == sched::Action::kLaunch) be_again = &d;
    if (be_again == nullptr) {
      step["be_partition"] = "held";
      feedback.push_back(step);
      break;
    }
    MISSILE_ASSIGN_OR_RETURN(
        last, bench.Beside(ls_decision->partition, be_again->partition, be_profile,
                           -ls_decision->stream_priority, -be_again->stream_priority, be_again->pace_us));
    last_pace_us = be_again->pace_us;
    const double beside_us = be_kernel_us * observed.be_stretch;
    step["be_partition"] = be_again->partition.ToString();
    step["be_pace_us"] = last_pace_us;
    step["be_duty_cycle"] = beside_us / (beside_us + last_pace_us);
    step["ls_slowdown"] = last.ls_us / alone_us;
    step["be_beside_gbps"] = last.be_gbps;
    step["be_kernels_in_window"] = last.be_kernels;
    feedback.push_back(step);
    std::cerr << fmt::format(
        "missile ({}), feedback {}: observed LS {:.3f}x while BE runs, BE stretched {:.2f}x -> pace {:.0f} "
        "us: "
        "LS {:.3f}x, BE {:.0f} GB/s\n",
        model_name, round + 1, observed.ls_slowdown_while_running, observed.be_stretch, last_pace_us,
        last.ls_us / alone_us, last.be_gbps);
  }
  missile["feedback"] = feedback;
  return missile;
}

Result<json> Run(const Options& options) {
  MISSILE_ASSIGN_OR_RETURN(auto partitions, GreenPartitions::Create(8));
  const uint64_t bytes = static_cast<uint64_t>(options.gib * double(uint64_t{1} << 30)) / 16 * 16;
  MISSILE_ASSIGN_OR_RETURN(auto ls_buffer, device::cuda::DeviceBuffer::Allocate(bytes));
  MISSILE_ASSIGN_OR_RETURN(auto be_buffer, device::cuda::DeviceBuffer::Allocate(bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemset(ls_buffer.data(), 0, bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemset(be_buffer.data(), 0, bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  MISSILE_ASSIGN_OR_RETURN(auto ls_read, bench::StreamRead::Create(ls_buffer.data(), bytes));
  MISSILE_ASSIGN_OR_RETURN(auto be_read, bench::StreamRead::Create(be_buffer.data(), bytes));
  MISSILE_ASSIGN_OR_RETURN(auto ls_trail, EventTrail::Create(2000));
  MISSILE_ASSIGN_OR_RETURN(auto be_trail, EventTrail::Create(4000));
  Bench bench(options, *partitions, ls_read, be_read, std::move(ls_trail), std::move(be_trail));
  const sched::GpuLayout& layout = bench.layout();
  const int n = layout.groups();
  if (options.ls_groups < 1 || options.ls_groups >= n) {
    return Error(ErrorCode::kInvalidArgument, "--ls-groups must be 1 .. {}", n - 1);
  }
  const sched::ContentionModel& model = sched::ContentionModel::H200();

  std::cerr << "profiling the streaming read on every partition size\n";
  MISSILE_ASSIGN_OR_RETURN(const sched::KernelProfile ls_profile, bench.Profile(ls_read, "ls-stream-read"));
  MISSILE_ASSIGN_OR_RETURN(const sched::KernelProfile be_profile,
                           bench.Profile(be_read, "be-stream-read", options.be_blocks_per_sm));

  json out;
  std::string gpu_name = "GPU";
  if (auto gpus = device::QueryGpus(); gpus.ok() && !gpus->empty()) gpu_name = gpus->front().name;
  out["device"] = gpu_name;
  out["sms"] = layout.sms;
  out["groups"] = n;
  out["buffer_bytes"] = bytes;
  out["ls_groups"] = options.ls_groups;
  out["be_blocks_per_sm"] = options.be_blocks_per_sm;
  out["rounds"] = options.rounds;
  out["kernels"] = {KernelJson(ls_profile), KernelJson(be_profile)};
  json streaming = json::array();
  for (int g = 1; g <= n; ++g) {
    const double sms = layout.SmsInFirst(g);
    streaming.push_back({{"sms", sms},
                         {"measured_gbps", double(bytes) / (be_profile.duration_us[size_t(g - 1)] * 1e3)},
                         {"curve_gbps", model.StreamingBandwidth(sms)}});
  }
  out["streaming"] = streaming;

  const GroupRange whole = layout.all();
  const GroupRange ls_home{n - options.ls_groups, n};
  MISSILE_ASSIGN_OR_RETURN(const double ls_whole_us, bench.LsAlone(whole));
  MISSILE_ASSIGN_OR_RETURN(const double ls_home_us, bench.LsAlone(ls_home));
  out["ls_alone"] = {
      {"whole_gpu_us", ls_whole_us},     {"whole_gpu_gbps", double(bytes) / (ls_whole_us * 1e3)},
      {"partition", ls_home.ToString()}, {"partition_sms", layout.SmsIn(ls_home)},
      {"partition_us", ls_home_us},      {"partition_gbps", double(bytes) / (ls_home_us * 1e3)}};
  std::cerr << fmt::format("LS alone: {:.1f} us per kernel on the whole GPU, {:.1f} us on {} ({} SMs)\n",
                           ls_whole_us, ls_home_us, ls_home.ToString(), layout.SmsIn(ls_home));

  json splits = json::array();
  for (int g = 1; g < n; ++g) {
    const GroupRange be{0, g}, ls{g, n};
    MISSILE_ASSIGN_OR_RETURN(const double alone_us, bench.LsAlone(ls));
    MISSILE_ASSIGN_OR_RETURN(const Bench::Pair pair, bench.Beside(ls, be, be_profile));
    const double be_sms = layout.SmsIn(be);
    const double be_alone_gbps = double(bytes) / (be_profile.duration_us[size_t(g - 1)] * 1e3);
    const double predicted = model.Slowdown(ls_profile.memory_intensity,
                                            model.PulledBandwidth(be_sms, be_profile.memory_intensity));
    splits.push_back({{"be_groups", g},
                      {"be_sms", be_sms},
                      {"ls_sms", layout.SmsIn(ls)},
                      {"be_alone_gbps", be_alone_gbps},
                      {"be_beside_gbps", pair.be_gbps},
                      {"be_kernels_in_window", pair.be_kernels},
                      {"ls_alone_us", alone_us},
                      {"ls_beside_us", pair.ls_us},
                      {"ls_slowdown", pair.ls_us / alone_us},
                      {"ls_slowdown_vs_whole_gpu", pair.ls_us / ls_whole_us},
                      {"model_slowdown", predicted}});
    std::cerr << fmt::format(
        "BE {:>3} SMs ({:6.0f} GB/s alone, {:6.0f} beside) | LS {:>3} SMs: {:.3f}x (model {:.3f}x)\n", be_sms,
        be_alone_gbps, pair.be_gbps, layout.SmsIn(ls), pair.ls_us / alone_us, predicted);
  }
  out["splits"] = splits;

  // The contention curve of LS's own partition: BE on [0, g) beside LS on ls_home, for every g below it.
  json curve = json::array();
  std::vector<sched::PiecewiseLinear::Point> streaming_points, slowdown_points;
  for (int g = 1; g <= n; ++g) {
    streaming_points.push_back(
        {double(layout.SmsInFirst(g)), double(bytes) / (be_profile.duration_us[size_t(g - 1)] * 1e3)});
  }
  for (int g = 1; g <= ls_home.begin; ++g) {
    const GroupRange be{0, g};
    MISSILE_ASSIGN_OR_RETURN(const Bench::Pair pair, bench.Beside(ls_home, be, be_profile));
    const double be_alone_gbps = streaming_points[size_t(g - 1)].y;
    const double slowdown = pair.ls_us / ls_home_us;
    slowdown_points.push_back({be_alone_gbps, slowdown});
    curve.push_back({{"be_groups", g},
                     {"be_sms", layout.SmsIn(be)},
                     {"be_alone_gbps", be_alone_gbps},
                     {"be_beside_gbps", pair.be_gbps},
                     {"ls_beside_us", pair.ls_us},
                     {"ls_slowdown", slowdown}});
    std::cerr << fmt::format("LS on {}: BE {:>3} SMs ({:6.0f} GB/s alone, {:6.0f} beside): LS {:.3f}x\n",
                             ls_home.ToString(), layout.SmsIn(be), be_alone_gbps, pair.be_gbps, slowdown);
  }
  out["ls_partition_curve"] = curve;
  MISSILE_ASSIGN_OR_RETURN(const sched::ContentionModel fitted,
                           sched::ContentionModel::FromMeasurements(streaming_points, slowdown_points));
  json fitted_json = {{"streaming_gbps_by_sms", json::array()},
                      {"slowdown_by_aggressor_gbps", json::array()}};
  for (const auto& p : fitted.streaming_curve().points())
    fitted_json["streaming_gbps_by_sms"].push_back({p.x, p.y});
  for (const auto& p : fitted.slowdown_curve().points())
    fitted_json["slowdown_by_aggressor_gbps"].push_back({p.x, p.y});
  out["fitted_model"] = fitted_json;

  MISSILE_ASSIGN_OR_RETURN(out["missile"], UnderMissile(bench, options, fitted, ls_profile, be_profile,
                                                        ls_home_us, "fitted to LS's partition"));
  MISSILE_ASSIGN_OR_RETURN(out["missile_device_md_model"],
                           UnderMissile(bench, options, model, ls_profile, be_profile, ls_home_us,
                                        "shared/DEVICE.md's curve (sched::ContentionModel::H200)"));
  out["be_timing"] = bench.be_timing();
  out["clusters_limited"] = partitions->layout().clusters_limited;
  return out;
}

}  // namespace
}  // namespace missile

int main(int argc, char** argv) {
  missile::Options options;
  CLI::App app{"Memory-bound LS beside memory-bound BE on green-context SM partitions"};
  app.add_option("--json", options.json_path, "write the results here")->required();
  app.add_option("--ls-groups", options.ls_groups,
                 "LS partition: the top N groups (default 7: 68 SMs on the H200's 15-group split)");
  app.add_option("--gib", options.gib, "each tenant's buffer in GiB (default 1)");
  app.add_option("--ls-ms", options.ls_ms, "LS stream length alone, ms (default 40)");
  app.add_option("--rounds", options.rounds, "rounds per configuration, the median kept (default 3)");
  app.add_option("--budget", options.budget, "missile's LS slowdown budget (default 0.05)");
  app.add_option("--be-min-groups", options.be_min_groups,
                 "BE tenant's min_groups for missile (default 1: paced, not held, beside streaming LS)");
  app.add_option("--be-blocks-per-sm", options.be_blocks_per_sm,
                 "BE kernel's blocks per SM (default 0: as many as fit; 1 streams less per SM)");
  app.add_option("--feedback-rounds", options.feedback_rounds,
                 "runs in which missile decides again from the previous run's measurement (default 3)");
  CLI11_PARSE(app, argc, argv);
  if (options.rounds < 1 || options.gib <= 0 || options.ls_ms <= 0) {
    std::cerr << "missile_memory_interference_bench: --rounds >= 1, --gib > 0 and --ls-ms > 0\n";
    return 2;
  }
  auto result = missile::Run(options);
  if (!result.ok()) {
    std::cerr << "missile_memory_interference_bench: " << result.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(options.json_path) << result->dump(1) << "\n";
  return 0;
}
