// Shared by the pcie_*_test.cpp files: a modelled link (virtual clock + modelled engine + scheduler) and the
// never-backed address space its copies point into.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>

#include "pcie/modelled_copy_engine.h"
#include "pcie/transfer_scheduler.h"
#include "pcie/virtual_clock.h"

namespace missile::pcie::testing {

// Address space that is reserved but never backed by memory: the modelled engine never dereferences the
// addresses it is given, so gigabytes of modelled traffic cost nothing.
class ReservedAddressSpace {
 public:
  explicit ReservedAddressSpace(size_t bytes) : bytes_(bytes) {
    void* base = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    EXPECT_NE(base, MAP_FAILED);
    base_ = static_cast<std::byte*>(base);
  }
  ~ReservedAddressSpace() { munmap(base_, bytes_); }
  ReservedAddressSpace(const ReservedAddressSpace&) = delete;
  ReservedAddressSpace& operator=(const ReservedAddressSpace&) = delete;

  std::byte* data() const { return base_; }

 private:
  size_t bytes_;
  std::byte* base_ = nullptr;
};

// What happened to one modelled transfer.
struct ModelledTransfer {
  Nanos submitted_at{0};
  std::optional<Nanos> completed_at;
  Status status;

  Nanos latency() const { return *completed_at - submitted_at; }
};

// A scheduler over a modelled engine, driven by a virtual clock. Transfers are at most 1 GiB long.
class ModelledLink {
 public:
  static constexpr uint64_t kMaxTransferBytes = kGiB;

  explicit ModelledLink(const TransferConfig& config = {},
                        const CopyEngineModel& model = CopyEngineModel::H200HostToDevice())
      : engine_(clock_, model), memory_(kMaxTransferBytes) {
    Result<std::unique_ptr<TransferScheduler>> created =
        TransferScheduler::Create(config, Direction::kHostToDevice, engine_, clock_);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    if (created.ok()) scheduler_ = std::move(created).value();
  }
  // The scheduler may only go once nothing is in flight.
  ~ModelledLink() { clock_.RunUntilIdle(); }

  void AddTenant(TenantId tenant, const TenantParams& params) {
    const Status status = scheduler_->AddTenant(tenant, params);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }

  // Submits `bytes` for `tenant` at virtual time `at`; the record fills in as the model runs.
  const ModelledTransfer& SubmitAt(Nanos at, TenantId tenant, uint64_t bytes) {
    EXPECT_LE(bytes, kMaxTransferBytes);
    ModelledTransfer& record = transfers_.emplace_back();
    record.submitted_at = at;
    clock_.At(at, [this, &record, tenant, bytes] {
      const Result<TransferId> id = scheduler_->Submit({tenant, memory_.data(), memory_.data(), bytes},
                                                       [this, &record](const Status& status) {
                                                         record.completed_at = clock_.Now();
                                                         record.status = status;
                                                       });
      EXPECT_TRUE(id.ok()) << id.status().ToString();
    });
    return record;
  }

  // Queues `count` transfers of `bytes` for `tenant` at time zero.
  void Backlog(TenantId tenant, int count, uint64_t bytes) {
    for (int i = 0; i < count; ++i) SubmitAt(Nanos(0), tenant, bytes);
  }

  TenantTransferStats StatsOf(TenantId tenant) const {
    for (const TenantTransferStats& stats : scheduler_->Metrics()) {
      if (stats.tenant == tenant) return stats;
    }
    ADD_FAILURE() << "no metrics for tenant " << tenant;
    return {};
  }

  VirtualClock& clock() { return clock_; }
  ModelledCopyEngine& engine() { return engine_; }
  TransferScheduler& scheduler() { return *scheduler_; }

 private:
  VirtualClock clock_;
  ModelledCopyEngine engine_;
  ReservedAddressSpace memory_;
  std::deque<ModelledTransfer> transfers_;  // a deque: records stay put while more are added
  std::unique_ptr<TransferScheduler> scheduler_;
};

}  // namespace missile::pcie::testing
