// Per-tenant device-memory (VRAM) accounting: each tenant has an optional byte limit, and everything that
// occupies device memory on its behalf (a model's weights, its activation arena, its input/output buffers) is
// charged under a holder name before it is allocated. A charge that would cross the limit is refused with a
// message saying what was asked, what is in use and what is free; nothing is charged then, so a refused model
// leaves its tenant, and every other tenant, exactly as they were.
//
// Pure bookkeeping: no allocation happens here. Thread-safe, so loads on several threads can charge at once.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace missile::memory {

struct TenantVramUsage {
  std::string tenant;
  uint64_t used_bytes = 0;
  std::optional<uint64_t> limit_bytes;  // none: unlimited
  std::map<std::string, uint64_t> holders;
};

class VramQuotaLedger {
 public:
  // kInvalidArgument when the tenant is already registered.
  Status AddTenant(const std::string& tenant, std::optional<uint64_t> limit_bytes);

  // Charges `bytes` to the tenant under `holder` (e.g. "model 'resnet50'"). kNotFound for an unknown tenant,
  // kFailedPrecondition when the holder already holds a charge, kResourceExhausted when it does not fit.
  Status Charge(const std::string& tenant, const std::string& holder, uint64_t bytes);
  // Releases the holder's whole charge; kNotFound when it holds none.
  Status Release(const std::string& tenant, const std::string& holder);

  // kNotFound for an unknown tenant.
  Result<TenantVramUsage> Usage(const std::string& tenant) const;
  // Every tenant, ordered by name.
  std::vector<TenantVramUsage> Snapshot() const;

 private:
  struct Account {
    std::optional<uint64_t> limit;
    uint64_t used = 0;
    std::map<std::string, uint64_t> holders;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Account> accounts_;
};

// "1.5 MiB": the unit every quota message uses.
std::string FormatBytes(uint64_t bytes);

}  // namespace missile::memory
