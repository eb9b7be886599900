#include "memory/vram_quota.h"

namespace missile::memory {

std::string FormatBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

Status VramQuotaLedger::AddTenant(const std::string& tenant, std::optional<uint64_t> limit_bytes) {
  std::lock_guard lock(mutex_);
  if (!accounts_.emplace(tenant, Account{limit_bytes, 0, {}}).second) {
    return Error(ErrorCode::kInvalidArgument, "tenant '{}' is already registered for VRAM accounting",
                 tenant);
  }
  return Status::Ok();
}

Status VramQuotaLedger::Charge(const std::string& tenant, const std::string& holder, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(tenant);
  if (it == accounts_.end()) return Error(ErrorCode::kNotFound, "unknown tenant '{}'", tenant);
  Account& account = it->second;
  if (account.holders.count(holder) != 0) {
    return Error(ErrorCode::kFailedPrecondition, "{} already holds a VRAM charge of {} in tenant '{}'",
                 holder, FormatBytes(account.holders.at(holder)), tenant);
  }
  if (account.limit.has_value()) {
    const uint64_t free = *account.limit - account.used;  // used never exceeds the limit
    if (bytes > free) {
      return Error(ErrorCode::kResourceExhausted,
                   "tenant '{}' VRAM quota exceeded: {} needs {}, but the tenant uses {} of its {} quota ({} "
                   "free)",
                   tenant, holder, FormatBytes(bytes), FormatBytes(account.used), FormatBytes(*account.limit),
                   FormatBytes(free));
    }
  }
  account.used += bytes;
  account.holders.emplace(holder, bytes);
  return Status::Ok();
}

Status VramQuotaLedger::Release(const std::string& tenant, const std::string& holder) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(tenant);
  if (it == accounts_.end()) return Error(ErrorCode::kNotFound, "unknown tenant '{}'", tenant);
  auto held = it->second.holders.find(holder);
  if (held == it->second.holders.end()) {
    return Error(ErrorCode::kNotFound, "{} holds no VRAM of tenant '{}'", holder, tenant);
  }
  it->second.used -= held->second;
  it->second.holders.erase(held);
  return Status::Ok();
}

Result<TenantVramUsage> VramQuotaLedger::Usage(const std::string& tenant) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(tenant);
  if (it == accounts_.end()) return Error(ErrorCode::kNotFound, "unknown tenant '{}'", tenant);
  return TenantVramUsage{tenant, it->second.used, it->second.limit, it->second.holders};
}

std::vector<TenantVramUsage> VramQuotaLedger::Snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<TenantVramUsage> usage;
  for (const auto& [name, account] : accounts_) {
    usage.push_back({name, account.used, account.limit, account.holders});
  }
  return usage;
}

}  // namespace missile::memory
