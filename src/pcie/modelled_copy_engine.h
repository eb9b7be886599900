// A copy engine as a timing model on a virtual clock: one FIFO queue; each copy occupies the engine for a
// fixed per-copy overhead plus bytes / bandwidth, after every copy issued before it. Measured on the H200
// (docs/pcie.md): the overhead is serial (a second or third stream does not hide it) and does not depend on
// the size, which is what makes small chunks expensive.
//
// It moves no bytes and never dereferences the addresses it is given, so tests can model gigabytes of traffic
// in reserved, never-backed address space; data integrity is the host memcpy engine's to test.
#pragma once

#include "pcie/copy_engine.h"
#include "pcie/virtual_clock.h"

namespace missile::pcie {

struct CopyEngineModel {
  double bytes_per_second = 0;
  Nanos per_copy_overhead{0};

  // Pinned memory on the project's H200 over PCIe 5.0 x16 (measured 2026-11-25, docs/pcie.md).
  static CopyEngineModel H200HostToDevice() { return {55.3e9, Nanos(3000)}; }
  static CopyEngineModel H200DeviceToHost() { return {55.2e9, Nanos(2100)}; }

  // How long the engine is busy with one copy of `bytes`.
  Nanos Occupancy(uint64_t bytes) const;
};

class ModelledCopyEngine final : public CopyEngine {
 public:
  ModelledCopyEngine(VirtualClock& clock, const CopyEngineModel& model) : clock_(clock), model_(model) {}

  void Issue(ChunkCopy& copy, CopyListener& listener) override;

  const CopyEngineModel& model() const { return model_; }
  uint64_t copies() const { return copies_; }
  uint64_t bytes() const { return bytes_; }
  // Sum of the copies' occupancies: what the link was busy with.
  Nanos busy_time() const { return busy_time_; }

 private:
  VirtualClock& clock_;
  CopyEngineModel model_;
  Nanos free_at_{0};  // when the last copy issued so far finishes
  uint64_t copies_ = 0;
  uint64_t bytes_ = 0;
  Nanos busy_time_{0};
};

}  // namespace missile::pcie
