#include "sim/simulation.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "pcie/transfer_scheduler.h"
#include "pcie/virtual_clock.h"
#include "sched/compute_scheduler.h"
#include "sim/poisson_arrivals.h"

namespace missile::sim {
namespace {

// Address space for the modelled copies to point into: reserved, never backed, never touched (the modelled
// copy engine does not dereference what it is given).
class ReservedAddressSpace {
 public:
  explicit ReservedAddressSpace(size_t bytes) : bytes_(std::max<size_t>(bytes, 4096)) {
    void* base = mmap(nullptr, bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base_ = base == MAP_FAILED ? nullptr : static_cast<std::byte*>(base);
  }
  ~ReservedAddressSpace() {
    if (base_ != nullptr) munmap(base_, bytes_);
  }
  ReservedAddressSpace(const ReservedAddressSpace&) = delete;
  ReservedAddressSpace& operator=(const ReservedAddressSpace&) = delete;
  std::byte* data() const { return base_; }

 private:
  size_t bytes_;
  std::byte* base_ = nullptr;
};

struct TenantState {
  const SimTenant* spec = nullptr;
  sched::TenantId id = 0;
  std::optional<PoissonArrivals> arrivals;
  std::vector<double> latencies_ms;
  uint64_t completed_in_window = 0;
};

// One run: the clock, the devices, the scheduler and the load, wired together.
class SimulationRun {
 public:
  explicit SimulationRun(const SimConfig& config) : config_(config), gpu_(clock_, config.gpu) {}

  Result<SimOutcome> Execute() {
    MISSILE_ASSIGN_OR_RETURN(auto policy, sched::MakePolicy(config_.policy, config_.policy_options));
    scheduler_ =
        std::make_unique<sched::ComputeScheduler>(config_.gpu.layout, std::move(policy), gpu_, clock_);
    if (config_.model_copies) MISSILE_RETURN_IF_ERROR(CreateLinks());
    for (size_t i = 0; i < config_.tenants.size(); ++i) {
      TenantState& state = tenants_.emplace_back();
      state.spec = &config_.tenants[i];
      MISSILE_ASSIGN_OR_RETURN(state.id, scheduler_->AddTenant(state.spec->config, state.spec->model));
      if (config_.model_copies) {
        const pcie::TenantParams params{pcie::kNice0Weight,
                                        state.spec->config.cls == sched::TenantClass::kLatencySensitive};
        MISSILE_RETURN_IF_ERROR(to_device_->AddTenant(state.id, params));
        MISSILE_RETURN_IF_ERROR(to_host_->AddTenant(state.id, params));
      }
    }
    for (size_t i = 0; i < tenants_.size(); ++i) StartLoad(i);
    clock_.RunUntil(config_.duration);
    // No new requests from here; the ones in flight finish (LS latencies of late arrivals count).
    clock_.RunUntilIdle();
    if (!failure_.ok()) return failure_;

    SimOutcome outcome;
    outcome.policy = config_.policy;
    outcome.gpu = gpu_.stats();
    outcome.invalid_decisions = scheduler_->invalid_decisions();
    const double window_s = static_cast<double>((config_.duration - config_.warmup).count()) * 1e-9;
    for (TenantState& state : tenants_) {
      TenantOutcome result;
      result.name = state.spec->config.name;
      result.cls = state.spec->config.cls;
      result.batch = state.spec->model->batch;
      result.latency = Summarize(std::move(state.latencies_ms));
      result.requests_per_s = static_cast<double>(state.completed_in_window) / window_s;
      result.items_per_s = result.requests_per_s * result.batch;
      outcome.tenants.push_back(std::move(result));
    }
    return outcome;
  }

 private:
  Status CreateLinks() {
    double largest = 0;
    for (const SimTenant& t : config_.tenants)
      largest = std::max({largest, t.model->input_bytes, t.model->output_bytes});
    memory_ = std::make_unique<ReservedAddressSpace>(static_cast<size_t>(largest));
    if (memory_->data() == nullptr)
      return Error(ErrorCode::kResourceExhausted, "cannot reserve address space");
    to_device_engine_ = std::make_unique<pcie::ModelledCopyEngine>(clock_, config_.host_to_device);
    to_host_engine_ = std::make_unique<pcie::ModelledCopyEngine>(clock_, config_.device_to_host);
    MISSILE_ASSIGN_OR_RETURN(
        to_device_, pcie::TransferScheduler::Create(config_.transfers, pcie::Direction::kHostToDevice,
                                                    *to_device_engine_, clock_));
    MISSILE_ASSIGN_OR_RETURN(
        to_host_, pcie::TransferScheduler::Create(config_.transfers, pcie::Direction::kDeviceToHost,
                                                  *to_host_engine_, clock_));
    return Status::Ok();
  }

  void StartLoad(size_t index) {
    TenantState& state = tenants_[index];
    if (state.spec->load == LoadKind::kPoisson) {
      // Each tenant draws from its own stream: adding a tenant does not change another's arrivals.
      state.arrivals.emplace(state.spec->rate, config_.seed * 1000003 + index);
      ScheduleArrival(index);
    } else {
      for (int i = 0; i < state.spec->outstanding; ++i) StartRequest(index);
    }
  }

  void ScheduleArrival(size_t index) {
    const Nanos at = clock_.Now() + Nanos(std::llround(tenants_[index].arrivals->NextGapNs()));
    if (at >= config_.duration) return;
    clock_.At(at, [this, index] {
      StartRequest(index);
      ScheduleArrival(index);
    });
  }

  void StartRequest(size_t index) {
    const sched::RequestId request = next_request_++;
    const Nanos arrival = clock_.Now();
    if (!config_.model_copies) {
      Compute(index, request, arrival);
      return;
    }
    const TenantState& state = tenants_[index];
    Transfer(*to_device_, state.id, state.spec->model->input_bytes,
             [this, index, request, arrival] { Compute(index, request, arrival); });
  }

  void Compute(size_t index, sched::RequestId request, Nanos arrival) {
    const TenantState& state = tenants_[index];
    Status status =
        scheduler_->Submit(state.id, request, [this, index, arrival](sched::RequestId, const Status& s) {
          if (!s.ok()) return Fail(s);
          if (!config_.model_copies) return Finish(index, arrival);
          const TenantState& tenant = tenants_[index];
          Transfer(*to_host_, tenant.id, tenant.spec->model->output_bytes,
                   [this, index, arrival] { Finish(index, arrival); });
        });
    if (!status.ok()) Fail(status);
  }

  void Transfer(pcie::TransferScheduler& link, sched::TenantId tenant, double bytes,
                std::function<void()> then) {
    const uint64_t size = static_cast<uint64_t>(bytes);
    if (size == 0) return then();
    const pcie::TransferRequest request{tenant, memory_->data(), memory_->data(), size};
    auto submitted = link.Submit(request, [this, then = std::move(then)](const Status& s) {
      if (!s.ok()) return Fail(s);
      then();
    });
    if (!submitted.ok()) Fail(submitted.status());
  }

  void Finish(size_t index, Nanos arrival) {
    TenantState& state = tenants_[index];
    const Nanos now = clock_.Now();
    if (arrival >= config_.warmup && arrival < config_.duration) {
      state.latencies_ms.push_back(static_cast<double>((now - arrival).count()) * 1e-6);
    }
    if (now >= config_.warmup && now <= config_.duration) ++state.completed_in_window;
    if (state.spec->load == LoadKind::kClosedLoop && now < config_.duration) StartRequest(index);
  }

  void Fail(const Status& status) {
    if (failure_.ok()) failure_ = status;
  }

  const SimConfig& config_;
  pcie::VirtualClock clock_;
  ModelledGpu gpu_;
  std::unique_ptr<sched::ComputeScheduler> scheduler_;
  std::unique_ptr<ReservedAddressSpace> memory_;
  std::unique_ptr<pcie::ModelledCopyEngine> to_device_engine_, to_host_engine_;
  // Declared after their engines: destroyed first, once the clock has run them dry.
  std::unique_ptr<pcie::TransferScheduler> to_device_, to_host_;
  std::vector<TenantState> tenants_;
  sched::RequestId next_request_ = 0;
  Status failure_;
};

}  // namespace

Status SimConfig::Validate() const {
  if (tenants.empty()) return Error(ErrorCode::kInvalidArgument, "a simulation needs at least one tenant");
  if (duration <= warmup) {
    return Error(ErrorCode::kInvalidArgument, "the simulated duration must be longer than the warm-up");
  }
  if (!gpu.layout.valid() || gpu.dram == nullptr)
    return Error(ErrorCode::kInvalidArgument, "invalid GPU model");
  for (const SimTenant& t : tenants) {
    if (t.model == nullptr)
      return Error(ErrorCode::kInvalidArgument, "tenant '{}' has no profile", t.config.name);
    if (t.load == LoadKind::kPoisson && !(t.rate > 0)) {
      return Error(ErrorCode::kInvalidArgument, "tenant '{}': a Poisson rate must be > 0", t.config.name);
    }
    if (t.load == LoadKind::kClosedLoop && t.outstanding < 1) {
      return Error(ErrorCode::kInvalidArgument, "tenant '{}': a closed loop needs >= 1 request in flight",
                   t.config.name);
    }
  }
  return Status::Ok();
}

Result<SimOutcome> Simulate(const SimConfig& config) {
  MISSILE_RETURN_IF_ERROR(config.Validate());
  SimulationRun run(config);
  return run.Execute();
}

}  // namespace missile::sim
